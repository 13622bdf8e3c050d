"""Head office: reconciliation service, office API, dashboard and tracking pages."""
