"""forms_backend: the Flask app that takes applications and feedback into SQLite."""
