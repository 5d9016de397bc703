"""Notices: ``compose`` writes the mails (pure), ``sms`` the SMS texts and their gateway,
``transport`` sends mail (SMTP, or an mbox outbox when no SMTP host is configured), and
``delivery`` sends what is queued in the ``mail_queue`` table through each channel, with retries."""
