"""Follow-ups of a shipment: answers to holds, corrections, lost and found, history."""
