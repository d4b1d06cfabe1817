"""The domain: what happens to a message and a complaint, from intake to the citizen's rating.

receive and dedupe (pipeline), converse (conversation), file and acknowledge (pipeline), staff
and citizen actions after intake (staff, citizen), delivery receipts (receipts).
"""
