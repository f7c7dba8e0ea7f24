"""Proof of completion: certificates, their PDFs and public verification."""
