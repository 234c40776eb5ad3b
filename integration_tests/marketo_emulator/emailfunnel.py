"""Email activities that add up: every Email Delivered (7), Email Bounced (8), Unsubscribe Email (9),
Open Email (10) and Click Email (11) follows a Send Email (6) of the same lead and email.

A user found generated data with more deliveries than sends. Marketo logs a mailing as a chain:
sent, then delivered or bounced, then opened, then clicked, perhaps unsubscribed. Here the chain
is built where the data is generated, so the counts nest per email asset, per lead and in total,
at every moment: sends >= deliveries >= opens >= clicks, bounces + deliveries <= sends,
unsubscribes <= deliveries.

Base history: activity indices are cut into frames of FRAME consecutive indices. Which indices
carry an email activity is decided as before (the type byte of each one's own hash), so every
other activity is unchanged; within a frame the email activities are read in order and each one
either advances the frame's latest mailing by one stage or starts a new mailing with a send. The
role of index i is a pure function of (seed, the frame's indices up to i): cheap, no scan.

Ticks: `MailingBook` remembers the mailings that ticks started, so a tick adds a stage only to a
mailing of a live lead that allows it, and a send otherwise.
"""
from __future__ import annotations

from dataclasses import dataclass

SEND, DELIVERED, BOUNCED, UNSUBSCRIBED, OPENED, CLICKED = 6, 7, 8, 9, 10, 11
EMAIL_TYPES = frozenset({SEND, DELIVERED, BOUNCED, UNSUBSCRIBED, OPENED, CLICKED})
FRAME = 16
STAGE_BYTE = 40  # the digest byte that picks a stage (no attribute uses it)
# The stages that may follow a mailing's latest one, with weights out of 256 (the rest: a new send).
# Per step: 92 % of sends delivered, 5 % bounced; 47 % of deliveries opened; 35 % of opens clicked (a
# mailing cut short by a new send or the frame's end stops there: overall ~80 % of sends are delivered).
NEXT = {
    SEND: ((DELIVERED, 236), (BOUNCED, 12)),
    DELIVERED: ((OPENED, 120), (UNSUBSCRIBED, 5)),
    OPENED: ((CLICKED, 90), (UNSUBSCRIBED, 3)),
    CLICKED: ((UNSUBSCRIBED, 3),),
    BOUNCED: (),
    UNSUBSCRIBED: (),
}


@dataclass(frozen=True)
class Role:
    """What an email activity is: its type, and the index of the send it follows (its own for a send)."""

    type_id: int
    send_index: int


def next_stage(latest: int, byte: int) -> int:
    """The stage after `latest` picked by one byte; SEND when the byte falls past every weight."""
    total = 0
    for type_id, weight in NEXT[latest]:
        total += weight
        if byte < total:
            return type_id
    return SEND


def allowed_after(latest: int, type_id: int) -> bool:
    return any(candidate == type_id for candidate, _ in NEXT[latest])


def plan_frame(first_index: int, digests: list[bytes], type_table: list[int]) -> dict[int, Role]:
    """Roles of the email activities among indices first_index.. (their digests given in order)."""
    roles: dict[int, Role] = {}
    send_index, latest = -1, None
    for offset, digest in enumerate(digests):
        if type_table[digest[2]] not in EMAIL_TYPES:
            continue
        index = first_index + offset
        stage = SEND if latest is None else next_stage(latest, digest[STAGE_BYTE])
        if stage == SEND:
            send_index = index
        roles[index] = Role(stage, send_index)
        latest = stage
    return roles


@dataclass
class Mailing:
    """A mailing a tick started: its lead, the template index of its send and its latest stage."""

    lead_id: int
    send_index: int
    latest: int = SEND


class MailingBook:
    """The mailings started by ticks (newest last), so later ticks can continue them."""

    LIMIT = 500

    def __init__(self) -> None:
        self._mailings: list[Mailing] = []

    def start(self, lead_id: int, send_index: int) -> None:
        self._mailings.append(Mailing(lead_id, send_index))
        if len(self._mailings) > self.LIMIT:
            del self._mailings[0]

    def continuable(self, type_id: int, live) -> Mailing | None:
        """The newest mailing of a live lead (`live(lead_id)` -> current id or None) that `type_id` may follow."""
        for mailing in reversed(self._mailings):
            if allowed_after(mailing.latest, type_id):
                current = live(mailing.lead_id)
                if current is not None:
                    mailing.lead_id = current
                    return mailing
        return None
