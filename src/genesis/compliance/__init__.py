"""HIPAA, GDPR and CCPA compliance: rules, reference data and de-identification reports."""
