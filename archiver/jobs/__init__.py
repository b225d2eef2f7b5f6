"""The job queue (PostgreSQL): tasks, worker and commands; see app.py."""
