"""Quality: visual inspection, statistical process control, root causes and the closed loop."""
