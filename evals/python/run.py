"""Python instructor on the cases of instructor-rs's extraction eval, for comparison.

Reads ../cases.json (the same cases, system message and expected values as the Rust runner),
extracts each case with `instructor` (1.17) and pydantic models that mirror evals/src/types.rs,
and reports the same figures: exact-match rate, mean attempts, tokens per right answer (usage
of every attempt of every case, counted from each response through instructor's
`completion:response` hook) and wall time.

    python evals/python/run.py --base-url http://127.0.0.1:8080/v1 --model gemma-3-270m \
        [--mode JSON_SCHEMA,TOOLS,JSON,MD_JSON] [--cases filter] [--max-retries 2] [--json out.json]

Exact match: the extracted model's `model_dump(mode="json")` equals the expected value after
the same round trip (`model_validate(expected).model_dump(mode="json")`), as in the Rust runner.
"""

from __future__ import annotations

import argparse
import enum
import json
import logging
import os
import re
import sys
import time
from pathlib import Path
from typing import Optional

import instructor
import openai
from pydantic import BaseModel, Field, field_validator, model_validator

# ----------------------------------------------------------------------------- the types
# Mirrors of evals/src/types.rs: the same field names, descriptions and rules (garde's
# `length(min)` is min_length, `range` is ge/le, `pattern` is pattern; the unsigned integer
# types' bounds are ge=0 / le=max as the Rust schema says; `email` is a field validator).

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
CURRENCY = r"^[A-Z]{3}$"
U32_MAX = 4294967295


def _email(v: str) -> str:
    if not EMAIL.match(v):
        raise ValueError("not a valid email address")
    return v


class Person(BaseModel):
    """A person mentioned in the text."""

    name: str = Field(min_length=1, description="The person's full name, as written in the text.")
    age: int = Field(ge=0, le=150, description="Age in whole years.")


class People(BaseModel):
    """Everyone mentioned in the text with their age, in the order they appear."""

    people: list[Person] = Field(min_length=1, max_length=4, description="One entry per person.")


class Contact(BaseModel):
    """How to reach a person."""

    name: str = Field(min_length=1, description="The person's full name.")
    email: str = Field(description="Their email address.")
    phone: Optional[str] = Field(
        default=None, description="Their phone number exactly as written, if the text gives one."
    )

    @field_validator("email")
    @classmethod
    def _check(cls, v: str) -> str:
        return _email(v)


class EmailAddresses(BaseModel):
    """The email addresses in the text."""

    emails: list[str] = Field(
        min_length=1, max_length=4, description="Every address, in the order the text gives them."
    )

    @field_validator("emails")
    @classmethod
    def _check(cls, v: list[str]) -> list[str]:
        return [_email(e) for e in v]


class Sentiment(str, enum.Enum):
    """`positive`: Pleased, happy, recommends it. `negative`: Disappointed, angry, wants it fixed
    or refunded. `neutral`: Only states facts, no feeling either way."""

    positive = "positive"
    negative = "negative"
    neutral = "neutral"


class Review(BaseModel):
    """The overall sentiment of a product review."""

    sentiment: Sentiment = Field(description="The sentiment of the review as a whole.")


class TicketCategory(str, enum.Enum):
    """`billing`: Charges, refunds, invoices, payment methods. `technical`: Bugs, crashes,
    errors: something does not work. `account`: Logging in, passwords, profile and account
    settings. `shipping`: Deliveries, tracking, lost or late parcels. `feature_request`: Ideas
    and requests for something new."""

    billing = "billing"
    technical = "technical"
    account = "account"
    shipping = "shipping"
    feature_request = "feature_request"


class Priority(str, enum.Enum):
    """`low`: Questions, ideas and requests. `medium`: A problem that does not stop the
    customer working. `high`: The customer cannot work, or is losing money."""

    low = "low"
    medium = "medium"
    high = "high"


class SupportTicket(BaseModel):
    """A customer support ticket, classified."""

    category: TicketCategory = Field(description="What the ticket is about.")
    priority: Priority = Field(description="How urgent it is.")


class Profile(BaseModel):
    """What the text says about a person. Leave out whatever it does not say."""

    name: str = Field(min_length=1, description="The person's name, as written.")
    city: Optional[str] = Field(default=None, description="The city they live in, if the text says.")
    job_title: Optional[str] = Field(
        default=None, description="Their job in lower case (`teacher`, `chef`), if the text says."
    )
    age: Optional[int] = Field(
        default=None, ge=0, le=150, description="Age in whole years, if the text says."
    )


class ShoppingItem(BaseModel):
    """One thing to buy."""

    name: str = Field(
        min_length=1,
        description="What to buy: singular, lower case, without the quantity (`apple`, `carrot`).",
    )
    quantity: int = Field(ge=1, le=U32_MAX, description="How many.")


class ShoppingList(BaseModel):
    """A shopping list."""

    items: list[ShoppingItem] = Field(
        min_length=1, description="Everything to buy, in the order the text gives it."
    )


class Languages(BaseModel):
    """The languages a person speaks."""

    languages: list[str] = Field(
        min_length=1,
        description="Each language's English name, capitalised (`French`), in the order the text gives them.",
    )


class Attendees(BaseModel):
    """Who came to a meeting."""

    names: list[str] = Field(
        min_length=1,
        description="The first name of each person present, in the order the text gives them.",
    )


class Address(BaseModel):
    """A postal address."""

    street: Optional[str] = Field(
        default=None, description="Street and house number, if the text gives them."
    )
    city: str = Field(min_length=1, description="The city.")
    country: str = Field(min_length=1, description="The country's name in English.")


class Company(BaseModel):
    """A company and where it is based."""

    name: str = Field(
        min_length=1,
        description="The company's name, with its legal form if the text gives it (`Acme Ltd`).",
    )
    founded: Optional[int] = Field(
        default=None, ge=0, le=65535, description="The year it was founded, if the text says."
    )
    headquarters: Address = Field(description="Where its head office is.")


class OrderLine(BaseModel):
    """One product in an order."""

    product: str = Field(min_length=1, description="The product: singular, lower case (`coffee mug`).")
    quantity: int = Field(ge=1, le=U32_MAX, description="How many.")


class Order(BaseModel):
    """An order to be shipped."""

    customer: str = Field(min_length=1, description="Who the order is for.")
    ship_to: Address = Field(description="Where to send it.")
    items: list[OrderLine] = Field(
        min_length=1, description="What to send, in the order the text gives it."
    )


class Team(BaseModel):
    """A team in a company."""

    name: str = Field(min_length=1, description='The team\'s name, without the word "team" (`Search`).')
    lead: str = Field(min_length=1, description="The full name of the person who leads it.")


class Employee(BaseModel):
    """An employee and the team they belong to."""

    name: str = Field(min_length=1, description="The employee's full name.")
    team: Team = Field(description="Their team.")


class Payment(BaseModel):
    """A payment."""

    amount: float = Field(ge=0.0, description="The amount paid, as a number (`42.5`).")
    currency: str = Field(
        pattern=CURRENCY, description="The ISO 4217 currency code, in capitals (`CHF`, `CAD`)."
    )
    date: str = Field(pattern=DATE, description="The day it was paid, `YYYY-MM-DD`.")


class InvoiceLine(BaseModel):
    """One line of an invoice."""

    item: str = Field(min_length=1, description="What was sold: singular, lower case (`cable`).")
    quantity: int = Field(ge=1, le=U32_MAX, description="How many.")
    unit_price: float = Field(ge=0.0, description="The price of one, as a number.")


class Invoice(BaseModel):
    """An invoice."""

    currency: str = Field(pattern=CURRENCY, description="The ISO 4217 currency code, in capitals (`CHF`).")
    lines: list[InvoiceLine] = Field(
        min_length=1, description="Every line, in the order the text gives them."
    )
    total: float = Field(
        ge=0.0, description="The total: the sum of quantity times unit price over the lines."
    )

    @model_validator(mode="after")
    def _total_matches_lines(self) -> "Invoice":
        s = sum(line.quantity * line.unit_price for line in self.lines)
        if abs(s - self.total) >= 0.005:
            raise ValueError(f"total is {self.total} but the lines add up to {s:.2f}")
        return self


def _after(later: str, earlier: str):
    """A model validator: field `later` must be greater than field `earlier` (the message is
    the Rust validator's)."""

    def check(model: BaseModel) -> BaseModel:
        a, b = getattr(model, later), getattr(model, earlier)
        if not a > b:
            raise ValueError(f"{later} ({a}) must be after {earlier} ({b})")
        return model

    return model_validator(mode="after")(check)


class Booking(BaseModel):
    """A hotel booking."""

    guest: str = Field(min_length=1, description="The guest's name, as written.")
    check_in: str = Field(pattern=DATE, description="The day of arrival, `YYYY-MM-DD`.")
    check_out: str = Field(pattern=DATE, description="The day of departure, `YYYY-MM-DD`.")

    _check_out_after_check_in = _after("check_out", "check_in")


class UppercaseUser(BaseModel):
    """A person, for a system that stores names in capitals."""

    name: str = Field(min_length=1, description="The person's name, in UPPER CASE.")
    age: int = Field(ge=0, le=150, description="Age in whole years.")

    @model_validator(mode="after")
    def _upper(self) -> "UppercaseUser":
        if self.name != self.name.upper():
            raise ValueError(
                f"name must be in upper case: `{self.name.upper()}`, not `{self.name}`"
            )
        return self


class MeetingSlot(BaseModel):
    """When a meeting takes place, on the 24-hour clock."""

    start_hour: int = Field(ge=0, le=23, description="The hour it starts, 0 to 23 (2pm is 14).")
    end_hour: int = Field(ge=0, le=23, description="The hour it ends, 0 to 23.")

    _ends_after_start = _after("end_hour", "start_hour")


class Slug(BaseModel):
    """The URL slug of a blog post."""

    slug: str = Field(
        pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$",
        description="The title in lower case, punctuation removed, words joined by hyphens "
        "(`why-cats-purr`).",
    )


TYPES: dict[str, type[BaseModel]] = {
    t.__name__: t
    for t in [
        Person, People, Contact, EmailAddresses, Review, SupportTicket, Profile, ShoppingList,
        Languages, Attendees, Company, Order, Employee, Payment, Invoice, Booking,
        UppercaseUser, MeetingSlot, Slug,
    ]
}

MODES = {
    "JSON_SCHEMA": instructor.Mode.JSON_SCHEMA,
    "TOOLS": instructor.Mode.TOOLS,
    "JSON": instructor.Mode.JSON,
    "MD_JSON": instructor.Mode.MD_JSON,
}

# ----------------------------------------------------------------------------- the runner


def normal(model: type[BaseModel], value) -> object:
    """The value read as the model, validated, and written back as JSON."""
    return model.model_validate(value).model_dump(mode="json")


def selected(cases: list[dict], flt: str) -> list[dict]:
    words = [w.strip() for w in flt.split(",") if w.strip()]
    if not words:
        return cases
    return [
        c
        for c in cases
        if any(w in c["id"] or c["shape"] == w or c["type"].lower() == w.lower() for w in words)
    ]


class Counter:
    """Every response of the extraction under way, through instructor's hooks."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.attempts = 0
        self.prompt = 0
        self.completion = 0
        self.total = 0

    def on_response(self, response, *args, **kwargs) -> None:
        self.attempts += 1
        usage = getattr(response, "usage", None)
        if usage is not None:
            self.prompt += usage.prompt_tokens or 0
            self.completion += usage.completion_tokens or 0
            self.total += usage.total_tokens or 0


def error_kind(e: Exception) -> str:
    name = type(e).__name__
    return {
        "InstructorRetryException": "retries_exhausted",
        "IncompleteOutputException": "truncated",
    }.get(name, name)


def run_case(client, counter: Counter, system: str, case: dict, mode: str, args) -> dict:
    model = TYPES[case["type"]]
    expected = normal(model, case["expected"])
    counter.reset()
    started = time.monotonic()
    result = {
        "id": case["id"],
        "shape": case["shape"],
        "type": case["type"],
        "mode": mode,
        "expected": expected,
        "got": None,
        "error": None,
        "error_kind": None,
    }
    try:
        value = client.chat.completions.create(
            model=args.model,
            response_model=model,
            messages=[
                {"role": "system", "content": system},
                {"role": "user", "content": case["text"]},
            ],
            max_retries=args.max_retries,
            temperature=0.0,
            seed=42,
            max_tokens=args.max_tokens,
        )
        got = value.model_dump(mode="json")
        result["got"] = got
        result["outcome"] = "pass" if got == expected else "wrong"
    except Exception as e:  # noqa: BLE001 - every failure is a result
        result["outcome"] = "error"
        result["error_kind"] = error_kind(e)
        result["error"] = " ".join(str(e).split())[:600]
    result["wall_ms"] = int((time.monotonic() - started) * 1000)
    result["attempts"] = counter.attempts
    result["tokens"] = {"prompt": counter.prompt, "completion": counter.completion, "total": counter.total}
    return result


def line(r: dict) -> str:
    n = r["attempts"]
    head = f'{r["mode"]} {r["id"]} ({n} attempt{"" if n == 1 else "s"})'
    if r["outcome"] == "pass":
        return f'PASS {head}: {json.dumps(r["got"], ensure_ascii=False)}'
    if r["outcome"] == "wrong":
        return (
            f'FAIL {head}: got {json.dumps(r["got"], ensure_ascii=False)} '
            f'expected {json.dumps(r["expected"], ensure_ascii=False)}'
        )
    return f'FAIL {head}: {r["error_kind"]}: {r["error"][:300]}'


def summary(mode: str, results: list[dict], wall_ms: int) -> dict:
    n = len(results)
    passed = sum(r["outcome"] == "pass" for r in results)
    total = sum(r["tokens"]["total"] for r in results)
    return {
        "mode": mode,
        "cases": n,
        "passed": passed,
        "wrong": sum(r["outcome"] == "wrong" for r in results),
        "errors": sum(r["outcome"] == "error" for r in results),
        "exact_match_rate": passed / n if n else 0.0,
        "mean_attempts": sum(r["attempts"] for r in results) / n if n else 0.0,
        "tokens": {
            "prompt": sum(r["tokens"]["prompt"] for r in results),
            "completion": sum(r["tokens"]["completion"] for r in results),
            "total": total,
        },
        "tokens_per_right_answer": total / passed if passed else None,
        "wall_ms": wall_ms,
    }


def duration(ms: int) -> str:
    s = ms / 1000
    if s < 60:
        return f"{s:.1f} s"
    w = round(s)
    return f"{w // 60} min {w % 60:02d} s"


def check(cases: list[dict]) -> int:
    bad = 0
    for c in cases:
        model = TYPES.get(c["type"])
        if model is None:
            print(f'{c["id"]}: no model {c["type"]}')
            bad += 1
            continue
        try:
            if normal(model, c["expected"]) != c["expected"]:
                print(f'{c["id"]}: {normal(model, c["expected"])} != {c["expected"]}')
                bad += 1
        except Exception as e:  # noqa: BLE001
            print(f'{c["id"]}: {e}')
            bad += 1
    print(f"{len(cases) - bad} passed, {bad} failed")
    return 1 if bad else 0


def write_json(
    args, n_cases: int, summaries: list[dict], results: list[dict], partial: bool = False
) -> None:
    meta = {
        "instructor": instructor.__version__,
        "openai": openai.__version__,
        "model": args.model,
        "base_url": args.base_url,
        "max_retries": args.max_retries,
        "max_tokens": args.max_tokens,
        "temperature": 0.0,
        "seed": 42,
        "cases": n_cases,
        "partial": partial,
    }
    Path(args.json).write_text(
        json.dumps({"meta": meta, "arms": summaries, "results": results}, indent=1, ensure_ascii=False)
        + "\n"
    )


def main() -> int:
    here = Path(__file__).resolve().parent
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--base-url", default=os.environ.get("INSTRUCTOR_BASE_URL"))
    p.add_argument("--model", default=os.environ.get("INSTRUCTOR_MODEL"))
    p.add_argument("--mode", default="JSON_SCHEMA,MD_JSON,JSON,TOOLS", help="comma-separated: " + ", ".join(MODES))
    p.add_argument("--cases", default="")
    p.add_argument("--max-retries", type=int, default=2)
    p.add_argument("--max-tokens", type=int, default=256)
    p.add_argument("--timeout", type=float, default=300)
    p.add_argument("--json")
    p.add_argument("--cases-file", default=str(here.parent / "cases.json"))
    p.add_argument(
        "--check",
        action="store_true",
        help="only check that every expected value is a valid value of its model, written as "
        "the model writes it (no server needed)",
    )
    args = p.parse_args()
    if args.check:
        return check(json.loads(Path(args.cases_file).read_text())["cases"])
    if not args.base_url or not args.model:
        p.error("set --base-url and --model (or INSTRUCTOR_BASE_URL and INSTRUCTOR_MODEL)")

    # instructor logs every failed attempt at ERROR level; the per-case lines say it already.
    logging.getLogger("instructor").setLevel(logging.CRITICAL)
    doc = json.loads(Path(args.cases_file).read_text())
    cases = selected(doc["cases"], args.cases)
    modes = [m.strip() for m in args.mode.split(",") if m.strip()]
    for m in modes:
        if m not in MODES:
            p.error(f"unknown mode {m}")
    print(
        f"python instructor {instructor.__version__}: {len(cases)} case(s) x {len(modes)} mode(s) "
        f"against {args.base_url} ({args.model}), max_retries {args.max_retries}, "
        f"max_tokens {args.max_tokens}",
        file=sys.stderr,
    )

    results: list[dict] = []
    summaries: list[dict] = []
    for m in modes:
        counter = Counter()
        base = openai.OpenAI(
            base_url=args.base_url,
            api_key=os.environ.get("INSTRUCTOR_API_KEY") or "sk-local-dummy",
            timeout=args.timeout,
        )
        client = instructor.from_openai(base, mode=MODES[m])
        client.on("completion:response", counter.on_response)
        started = time.monotonic()
        arm: list[dict] = []
        for i, case in enumerate(cases):
            r = run_case(client, counter, doc["system"], case, m, args)
            print(f"[{len(results) + i + 1}/{len(cases) * len(modes)}] {line(r)}", flush=True)
            arm.append(r)
            if args.json:
                # After every case (marked partial), so a run that is stopped keeps its results.
                write_json(args, len(cases), summaries, results + arm, partial=True)
        summaries.append(summary(m, arm, int((time.monotonic() - started) * 1000)))
        results.extend(arm)
        if args.json:
            write_json(args, len(cases), summaries, results)

    print()
    print("| instructor mode | exact match | wrong | error | mean attempts | tokens per right answer | tokens (all attempts) | wall time |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for s in summaries:
        tpr = "-" if s["tokens_per_right_answer"] is None else f'{s["tokens_per_right_answer"]:.0f}'
        print(
            f'| {s["mode"]} | {s["passed"]}/{s["cases"]} ({s["exact_match_rate"] * 100:.0f}%) | '
            f'{s["wrong"]} | {s["errors"]} | {s["mean_attempts"]:.2f} | {tpr} | '
            f'{s["tokens"]["total"]} | {duration(s["wall_ms"])} |'
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
