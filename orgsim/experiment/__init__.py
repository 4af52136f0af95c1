"""Studies built from replications: run them anywhere, compare designs, sweep a grid, plan
headcount, and save or load what they found."""
