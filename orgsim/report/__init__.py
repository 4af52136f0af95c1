"""What people read: figures, the HTML report and terminal tables, drawn from tidy frames
and plain values (never from result objects)."""
