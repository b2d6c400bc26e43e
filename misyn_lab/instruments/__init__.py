"""Review instruments from the paper: claims, evaluation-phase ladder, limitations, reader study, stakeholder checklist."""
