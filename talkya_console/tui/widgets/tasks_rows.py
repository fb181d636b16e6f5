"""The queue's rules without widgets: which items show, in what order, and what each row says."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from rich.text import Text

from talkya_console.tui.widgets.pane import ago

if TYPE_CHECKING:  # imported for annotations only: the first frame does not wait for them
    from talkya_console.wire import Handoff, Task, User

FAR_FUTURE_TS = float("inf")
PRIORITY_STYLE = {"urgent": "bold red", "high": "yellow", "normal": "", "low": "dim"}
PRIORITY_RANK = {"urgent": 0, "high": 1, "normal": 2, "low": 3}
# The roles `r` cycles through (None: every role), as a flow board's "who is this for".
ROLE_CYCLE: tuple[str | None, ...] = (None, "front_desk", "provider", "va", "billing", "coordinator")
OPEN_TASK = ("open", "in_progress")
OPEN_HANDOFF = ("open", "claimed")


def role_label(role: str | None) -> str:
    """`front desk`, `VA`, …"""
    if role is None:
        return "all roles"
    return "VA" if role == "va" else role.replace("_", " ")


@dataclass
class QueueFilter:
    """What the queue shows: `m` mine, `r` one role, `o` overdue only, `h` handoffs only."""

    mine: bool = False
    role: str | None = None
    overdue: bool = False
    handoffs_only: bool = False

    def label(self) -> str:
        """The filters in force, for the pane's title (empty when none)."""
        parts = []
        if self.mine:
            parts.append("mine")
        if self.role is not None:
            parts.append(role_label(self.role))
        if self.overdue:
            parts.append("overdue")
        if self.handoffs_only:
            parts.append("handoffs")
        return " · ".join(parts)

    def next_role(self) -> None:
        """The next role in `ROLE_CYCLE`, back to every role after the last."""
        index = ROLE_CYCLE.index(self.role) if self.role in ROLE_CYCLE else 0
        self.role = ROLE_CYCLE[(index + 1) % len(ROLE_CYCLE)]


def is_mine(me: User | None, user_id: str | None, role: str | None) -> bool:
    """Assigned to me, or to my role and no one in particular."""
    return me is not None and (user_id == me.id or (user_id is None and role == me.role))


def task_overdue(task: Task, now: datetime) -> bool:
    """Due before now."""
    return task.due_at is not None and task.due_at < now


def task_key(task: Task) -> tuple[float, int, str]:
    """Due time (none: last), then priority (urgent first), then id (a stable order).

    Times as POSIX seconds: comparing aware datetimes asks each for its offset, every comparison,
    which made sorting 5,000 tasks take a tenth of a second."""
    due = task.due_at.timestamp() if task.due_at is not None else FAR_FUTURE_TS
    return (due, PRIORITY_RANK[task.priority], task.id)


def handoff_key(handoff: Handoff) -> tuple[float, int, str]:
    """A handoff is due the moment it is opened: its creation time, then priority."""
    return (handoff.created_at.timestamp(), PRIORITY_RANK[handoff.priority], handoff.id)


def task_since(task: Task) -> datetime:
    """When the task entered its status: created, or (in progress) claimed, which is its last update."""
    return task.updated_at if task.status == "in_progress" else task.created_at


def handoff_since(handoff: Handoff) -> datetime:
    """When the handoff entered its status: opened or claimed."""
    return handoff.claimed_at if handoff.status == "claimed" and handoff.claimed_at else handoff.created_at


def in_status(since: datetime, now: datetime) -> str:
    """Time in status as a flow board says it: `4m`, `2h05`, `3d`."""
    minutes = max(0, int((now - since) / timedelta(minutes=1)))
    if minutes < 60:
        return f"{minutes}m"
    if minutes < 24 * 60:
        return f"{minutes // 60}h{minutes % 60:02d}"
    return f"{minutes // (24 * 60)}d"


def shows_task(task: Task, rules: QueueFilter, me: User | None, now: datetime) -> bool:
    """Whether a task passes the filters."""
    if rules.handoffs_only or task.status not in OPEN_TASK:
        return False
    if rules.mine and not is_mine(me, task.assignee_user_id, task.assignee_role):
        return False
    if rules.role is not None and task.assignee_role != rules.role:
        return False
    return not rules.overdue or task_overdue(task, now)


def shows_handoff(handoff: Handoff, rules: QueueFilter, me: User | None) -> bool:
    """Whether a handoff passes the filters (a handoff is never overdue: it has no due time)."""
    if rules.overdue or handoff.status not in OPEN_HANDOFF:
        return False
    if rules.mine and not is_mine(me, handoff.assignee_user_id, handoff.assignee_role):
        return False
    return rules.role is None or handoff.assignee_role == rules.role


def queue(
    tasks: dict[str, Task], handoffs: dict[str, Handoff], rules: QueueFilter, me: User | None, now: datetime
) -> list[Task | Handoff]:
    """Everything that passes the filters, by due time then priority."""
    items: list[tuple[tuple[float, int, str], Task | Handoff]] = [
        (handoff_key(h), h) for h in handoffs.values() if shows_handoff(h, rules, me)
    ]
    items += [(task_key(t), t) for t in tasks.values() if shows_task(t, rules, me, now)]
    items.sort(key=lambda pair: pair[0])  # keys are unique (ids), so the items are never compared
    return [item for _, item in items]


def who(user_id: str | None, role: str | None, names: dict[str, str]) -> str:
    """The assignee: a person's name (or id), else the role's queue."""
    if user_id is not None:
        return names.get(user_id, user_id)
    return role_label(role) if role else ""


def title(text: str, width: int = 44) -> Text:
    """A title cut to the column with an ellipsis."""
    cell = Text(text, no_wrap=True)
    cell.truncate(width, overflow="ellipsis")
    return cell


def task_cells(task: Task, now: datetime, names: dict[str, str]) -> tuple[Text, ...]:
    """Due (`! ` and red when overdue), kind, title, priority, assignee, time in status."""
    overdue = task_overdue(task, now)
    due = Text(("! " if overdue else "") + ago(task.due_at, now), style="bold red" if overdue else "")
    kind = Text("task" if task.status == "open" else "task ▸", style="cyan" if task.status == "in_progress" else "")
    return (
        due,
        kind,
        title(task.title),
        Text(task.priority, style=PRIORITY_STYLE[task.priority]),
        title(who(task.assignee_user_id, task.assignee_role, names), 18),
        Text(in_status(task_since(task), now), style="dim"),
    )


def handoff_cells(handoff: Handoff, now: datetime, names: dict[str, str]) -> tuple[Text, ...]:
    """A handoff is due from the moment it opened (shown in the Due column); `handoff ▸` once claimed."""
    claimed = handoff.status == "claimed"
    return (
        Text(ago(handoff.created_at, now), style="bold magenta"),
        Text("handoff ▸" if claimed else "handoff", style="magenta"),
        title(handoff.reason),
        Text(handoff.priority, style=PRIORITY_STYLE[handoff.priority]),
        title(who(handoff.assignee_user_id, handoff.assignee_role, names), 18),
        Text(in_status(handoff_since(handoff), now), style="dim"),
    )
