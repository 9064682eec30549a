"""Service-request backend of Yucai (渝才助手): FastAPI + SQLAlchemy 2 + Alembic."""
