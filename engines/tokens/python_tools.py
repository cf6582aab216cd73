"""Python instructor's Tools-mode request pieces for the ten types of
engines/tests/schema_tokens.rs, written to python_tools.json beside this file.

    ~/.cache/instructor-rs/py-evals/venv/bin/python engines/tokens/python_tools.py

Needs `instructor` (1.17) and pydantic 2. Each model mirrors the Rust type field for field:
the same names, docs, optionality and rules. What is written is the `tools` array instructor
sends in Mode.TOOLS: `[{"type": "function", "function": openai_schema(Model).openai_schema}]`.
"""
import datetime
import enum
import json
import pathlib
from typing import List, Optional

import instructor
from instructor import openai_schema
from pydantic import BaseModel, Field


class UserDetails(BaseModel):
    """A person mentioned in the text."""

    name: str = Field(min_length=1)
    age: int = Field(ge=0, le=150, description="Age in whole years.")


class Contact(BaseModel):
    """How to reach a person."""

    name: str = Field(description="Full name, as written.")
    email: Optional[str] = Field(default=None, description="Email address, if given.")
    phone: Optional[str] = Field(default=None, description="Phone number, if given.")


class Address(BaseModel):
    """A postal address."""

    street: str
    city: str
    postal_code: Optional[str] = None
    country: str = Field(description="Country name, in English.")


class LineItem(BaseModel):
    """One line of an order."""

    product: str
    quantity: int = Field(ge=1)
    unit_price: float = Field(ge=0, description="Price of one unit.")


class Order(BaseModel):
    """An order placed by a customer."""

    customer: str
    items: List[LineItem] = Field(min_length=1, description="What was ordered.")
    shipping_address: Address


class Category(str, enum.Enum):
    billing = "billing"
    technical = "technical"
    account = "account"
    other = "other"


class Priority(str, enum.Enum):
    low = "low"
    medium = "medium"
    high = "high"


class Ticket(BaseModel):
    """A support ticket, classified."""

    category: Category
    priority: Priority
    summary: str = Field(max_length=200, description="One sentence.")


class Currency(str, enum.Enum):
    USD = "USD"
    EUR = "EUR"
    GBP = "GBP"
    JPY = "JPY"


class Invoice(BaseModel):
    """An invoice."""

    number: str
    amount: float = Field(ge=0)
    currency: Currency
    due: datetime.date = Field(description="Due date.")


class Event(BaseModel):
    """An event with its date, place and attendees."""

    title: str
    date: datetime.date
    location: Optional[str] = None
    attendees: List[str] = Field(default_factory=list, description="Names of the people attending.")


class Sentiment(str, enum.Enum):
    positive = "positive"
    neutral = "neutral"
    negative = "negative"


class Review(BaseModel):
    """The sentiment of a product review."""

    sentiment: Sentiment
    confidence: float = Field(ge=0, le=1, description="From 0 to 1.")
    aspects: List[str] = Field(default_factory=list, description="What the review talks about.")


class Product(BaseModel):
    """A product in a catalogue."""

    name: str
    price: float = Field(ge=0)
    tags: List[str] = Field(default_factory=list, max_length=5)
    in_stock: bool


class Meeting(BaseModel):
    """A meeting to put in a calendar."""

    topic: str
    start: datetime.datetime = Field(description="Start time, ISO 8601.")
    duration_minutes: int = Field(ge=1, le=600)
    participants: List[Contact]


TYPES = [UserDetails, Contact, Address, Order, Ticket, Invoice, Event, Review, Product, Meeting]


def main() -> None:
    out = {
        "instructor": instructor.__version__,
        "tools": {
            t.__name__: [{"type": "function", "function": openai_schema(t).openai_schema}]
            for t in TYPES
        },
    }
    path = pathlib.Path(__file__).with_name("python_tools.json")
    path.write_text(json.dumps(out, indent=1, sort_keys=False) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
