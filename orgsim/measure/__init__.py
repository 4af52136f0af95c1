"""Records to numbers: the KPIs of one replication, per-lead tables, and the statistics
(intervals, paired differences) that summarise many."""
