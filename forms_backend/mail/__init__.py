"""Mail: ``compose`` writes the messages (pure), ``transport`` sends what is queued in the
``mail_queue`` table (SMTP, or an mbox outbox when no SMTP host is configured)."""
