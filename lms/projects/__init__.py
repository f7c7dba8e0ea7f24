"""Projects and PMO services: the project register, the PMO's support and coaching, and
the link from each trainee to the projects they go on to run (computed, never typed)."""
