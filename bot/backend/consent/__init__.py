"""Personal-data notices (versioned texts) and records of each applicant's consent."""
