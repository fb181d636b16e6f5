"""Start an OpenClaw agent run: the workflow it is for, the request, and the tools it may use."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.widget import Widget
from textual.widgets import SelectionList

from talkya_console.tui.forms.base import FormScreen
from talkya_console.tui.forms.fields import FormField, TextField
from talkya_console.tui.forms.parsing import optional_text

if TYPE_CHECKING:
    from talkya_console.api import TalkyaClient
    from talkya_console.outbox import Write
    from talkya_console.wire import AgentRun  # noqa: F401  (the form's result type, named in a string)

INPUT_MAX = 10_000
WORKFLOW_MAX = 80


def known_tools() -> tuple[str, ...]:
    """Every tool OpenClaw knows, in the API's order."""
    from typing import get_args

    from talkya_console.wire.agents import Tool

    return get_args(Tool)


def tool_label(tool: str) -> str:
    """`open_ehr_handoff` as `Open EHR handoff`."""
    text = tool.replace("_", " ").replace("ehr", "EHR").replace("crm", "CRM")
    return text[:1].upper() + text[1:]


def parse_request(text: str) -> str:
    """What the agent is asked: required, at most 10,000 characters."""
    value = text.strip()
    if not value:
        raise ValueError("Required: what should the agent do?")
    if len(value) > INPUT_MAX:
        raise ValueError(f"At most {INPUT_MAX:,} characters.")
    return value


def parse_workflow(text: str) -> str | None:
    """A short workflow name (kept in the run's context), or none."""
    value = optional_text(text)
    if value is not None and len(value) > WORKFLOW_MAX:
        raise ValueError(f"At most {WORKFLOW_MAX} characters.")
    return value


class ToolsField(FormField):
    """The allowed tools: a list to tick (space toggles); at least one."""

    def __init__(self, name: str, label: str, tools: tuple[str, ...], chosen: set[str]) -> None:
        super().__init__(name, label, required=True, classes="tools-field")
        self.selection: SelectionList[str] = SelectionList(
            *((tool_label(tool), tool, tool in chosen) for tool in tools), compact=True
        )

    def compose_control(self) -> ComposeResult:
        """The list."""
        yield self.selection

    @property
    def control(self) -> Widget:
        """The list."""
        return self.selection

    def read(self) -> list[str]:
        """The ticked tools, in the API's order."""
        chosen = set(self.selection.selected)
        tools = [tool for tool in known_tools() if tool in chosen]
        if not tools:
            raise ValueError("Tick at least one tool.")
        return tools

    def on_selection_list_selection_toggled(self) -> None:
        """A tick clears a complaint."""
        if self.has_error:
            self.check()


class NewAgentRunScreen(FormScreen["AgentRun"]):
    """Start a run; dismisses with the AgentRun (or `Queued`), or None when cancelled."""

    DEFAULT_CSS = """
    NewAgentRunScreen { align: center middle; }
    NewAgentRunScreen .tools-field SelectionList { height: auto; max-height: 10; background: $boost; }
    """
    FORM_TITLE = "Start an agent run"
    SAVE_LABEL = "Start run"
    ALIASES = {"context": "workflow"}
    #: Ticked at first: the tools that only read, answer or hand work to a person.
    DEFAULT_TOOLS = frozenset({"answer", "lookup_patient", "create_task", "alert_human"})

    def __init__(self, client: TalkyaClient, tools: tuple[str, ...] | None = None) -> None:
        super().__init__(client)
        self.tools = tools or known_tools()

    def compose_fields(self) -> ComposeResult:
        """Workflow, request, tools."""
        yield TextField("workflow", "Workflow", parse_workflow, placeholder="e.g. refill_intake (optional)")
        yield TextField("input", "Request", parse_request, placeholder="What the agent is asked to do", required=True)
        yield ToolsField("allowed_tools", "Allowed tools (space ticks)", self.tools, set(self.DEFAULT_TOOLS))

    def snapshot(self) -> tuple[object, ...]:
        """The inputs and the ticked tools."""
        return (*super().snapshot(), tuple(sorted(self.query_one(SelectionList).selected)))

    def build(self) -> Write:
        """An AgentRunCreate; the workflow goes in the context."""
        from talkya_console.outbox import Write
        from talkya_console.wire import AgentRunCreate

        fields = self.fields()
        workflow = fields["workflow"].read()
        context: dict[str, Any] = {"workflow": workflow} if workflow else {}
        params = AgentRunCreate.model_validate(
            {"input": fields["input"].read(), "allowed_tools": fields["allowed_tools"].read(), "context": context}
        )
        return Write("agent_runs.start", (params,), label="Start agent run")
