"""Grouping records into clusters, online, memory bounded by the number of clusters.  Pure.

OWNER: clustering helper.  Contract (used by ``pipeline``):

    clusterer = Clusterer(window, known)     # known: Sequence[KnownCluster] from state.json
    fp = clusterer.add(record, custom_key)   # returns the record's final fingerprint, now
    summaries = clusterer.summaries()        # list[ClusterSummary], any order

A record whose masked template differs from a known cluster's template only in variable tokens
joins that cluster (same fingerprint across runs); the cluster template shows ``<*>`` there.
"""
