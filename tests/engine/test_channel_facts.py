"""Channel facts of the package model: what each function does with the channels it is handed
(`FuncSummary.channels`) and what the whole package does with each channel field
(`ChanFieldUse`, folded by `field_channel_ops`), and GL307 reading them across files."""

from pathlib import Path

from golens.document import Document
from golens.engine import Engine
from golens.pipeline import check_paths
from golens.syntax.facts import ChanField, ChanUse, Facts, FuncSummary
from golens.syntax.summaries import field_channel_ops

SOURCE = b"""package p

type hub struct {
	in    chan int
	out   chan int
	stop  chan struct{}
	Ext   chan int
	alias chan int
}

func (h *hub) run() {
	for v := range h.in {
		h.out <- v
	}
	<-h.stop
	c := h.alias
	_ = c
}

func drain(c <-chan int, n int, d chan int) {
	for range c {
	}
	go func() { d <- n }()
	other(d)
}

func other(chan int) {}

func feed(h *hub) {
	drain(h.out, 1, nil)
	close(h.stop)
}

func shadow(c chan int, fresh bool) {
	if fresh {
		c := make(chan int)
		c <- 1
	}
}
"""

ENGINE = Engine()


def facts() -> Facts:
    return Facts(ENGINE.summarize(Document(SOURCE, "p.go")))


def summary(found: Facts, name: str) -> FuncSummary:
    return next(s for s in found.of(FuncSummary) if s.name == name)


def test_a_summary_lists_the_channel_parameters_and_receiver_fields_it_uses():
    found = facts()
    assert set(summary(found, "run").channels) == {ChanUse(-1, "in", "range"), ChanUse(-1, "out", "send"),
                                                    ChanUse(-1, "stop", "recv")}
    # A send from a goroutine the function starts counts; passing the channel on is an escape.
    assert set(summary(found, "drain").channels) == {ChanUse(0, "", "range"), ChanUse(2, "", "send"),
                                                      ChanUse(2, "", "escape")}
    # A parameter redeclared inside may be another channel at any use: it counts as escaping.
    assert ChanUse(0, "", "escape") in summary(found, "shadow").channels
    assert summary(found, "other").channels == ()


def test_field_operations_are_gathered_over_the_package_and_followed_into_callees():
    found = facts()
    assert set(found.of(ChanField)) == {ChanField("hub", f) for f in ("in", "out", "stop", "Ext", "alias")}
    assert field_channel_ops("hub", "in", found) == {"range"}
    # `drain(h.out, ...)`: drain ranges over its parameter 0, so out is received too.
    assert field_channel_ops("hub", "out", found) == {"send", "range"}
    assert field_channel_ops("hub", "stop", found) == {"recv", "close"}
    assert field_channel_ops("hub", "alias", found) == {"escape"}
    assert field_channel_ops("hub", "Ext", found) == set()


def test_one_sided_field_is_judged_with_every_file_of_the_package(tmp_path: Path):
    (tmp_path / "types.go").write_text("package q\n\ntype pool struct {\n\tresults chan int\n}\n")
    (tmp_path / "work.go").write_text("package q\n\nfunc (p *pool) work() {\n\tp.results <- 1\n}\n")
    run = check_paths([str(tmp_path)])
    assert [(f.rule, Path(f.path).name, f.start.line) for f in run.findings if f.rule == "GL307"] == \
        [("GL307", "work.go", 4)]
    (tmp_path / "collect.go").write_text("package q\n\nfunc (p *pool) collect() int {\n\treturn <-p.results\n}\n")
    assert not [f for f in check_paths([str(tmp_path)]).findings if f.rule == "GL307"]


def test_a_send_after_the_function_closed_the_channel_is_gl304s_not_gl306s():
    source = b"package p\n\nfunc f() {\n\tch := make(chan int)\n\tclose(ch)\n\tch <- 1\n}\n"
    assert [f.rule for f in ENGINE.check(Document(source, "p.go")).findings] == ["GL304"]
