"""Tables of reference data loaded from ``bot/reference_data``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.backend.db import Base, JSONType, UTCDateTime


class District(Base):
    """A district, county or new area of Chongqing, keyed by its code."""

    __tablename__ = "district"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(24))
    aliases: Mapped[list[str]] = mapped_column(JSONType)
    sort_order: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Hospital(Base):
    """A hospital offering green-channel care to science and technology workers."""

    __tablename__ = "hospital"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    short_names: Mapped[list[str]] = mapped_column(JSONType)
    district_code: Mapped[str] = mapped_column(
        String(16), ForeignKey("district.code", ondelete="RESTRICT"), index=True
    )
    green_channel_24h: Mapped[bool] = mapped_column(Boolean)
    is_sample: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    district: Mapped[District] = relationship(lazy="joined")
    departments: Mapped[list[HospitalDepartment]] = relationship(
        back_populates="hospital",
        cascade="all, delete-orphan",
        order_by="HospitalDepartment.sort_order",
        lazy="selectin",
    )


class HospitalDepartment(Base):
    """A department of one hospital that requests may name."""

    __tablename__ = "hospital_department"
    __table_args__ = (UniqueConstraint("hospital_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hospital_id: Mapped[int] = mapped_column(ForeignKey("hospital.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(32))
    sort_order: Mapped[int] = mapped_column(Integer)

    hospital: Mapped[Hospital] = relationship(back_populates="departments")
