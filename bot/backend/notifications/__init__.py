"""Status updates pushed to the applicant (issue 15): an outbox, its worker and opt-outs."""
