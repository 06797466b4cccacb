"""Charts for CoachSpool's training and answer-evaluation reports (matplotlib, Agg: no display).

- loss_curve(path, train_points, eval_points, title): training and validation loss by step.
- answers_chart(path, systems): one panel per metric (cosine, chrF, win rate, perplexity), a bar
  per system with its 95% interval.

usage: python charts.py answers METRICS.json OUT.png
  METRICS.json: {"systems": [{"name": "base", "metrics": {"cosine": [mean, lo, hi],
                 "chrf": [mean, lo, hi], "win_rate": [mean, lo, hi] or null, "perplexity": x or null}}]}
Exit status: 0 done; 3 unusable input; 1 failed.
"""
import json, math, os, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from child import Unusable  # noqa: E402
import child  # noqa: E402

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

COLORS = ["#4C72B0", "#DD8452", "#55A868", "#C44E52", "#8172B3", "#937860", "#DA8BC3", "#8C8C8C", "#CCB974", "#64B5CD"]
# (key, title, y range or None); perplexity has no interval and may need a log scale.
PANELS = [("cosine", "Cosine similarity to the real answer", (0, 1)),
          ("chrf", "chrF (0-100)", (0, 100)),
          ("win_rate", "Win rate vs. the base model (judge)", (0, 1)),
          ("perplexity", "Perplexity of the real answer (lower is better)", None)]


def _save(fig, path):
    """Writes the PNG atomically."""
    try:
        child.write_atomically(path, lambda temp: fig.savefig(temp, format="png", dpi=110, bbox_inches="tight"))
    finally:
        plt.close(fig)


def loss_curve(path, train_points, eval_points, title):
    """Training loss and validation loss by step: lists of (step, loss)."""
    fig, ax = plt.subplots(figsize=(7, 4))
    train_points = sorted((float(s), float(v)) for s, v in (train_points or []) if v is not None)
    eval_points = sorted((float(s), float(v)) for s, v in (eval_points or []) if v is not None)
    if train_points:
        ax.plot([s for s, _ in train_points], [v for _, v in train_points], color=COLORS[0], linewidth=1.5,
                marker="." if len(train_points) <= 50 else None, label="training loss")
    if eval_points:
        ax.plot([s for s, _ in eval_points], [v for _, v in eval_points], color=COLORS[1], linewidth=2,
                marker="o", label="validation loss")
    if not train_points and not eval_points:
        ax.text(0.5, 0.5, "no loss recorded", ha="center", va="center", transform=ax.transAxes, color="gray")
    ax.set_xlabel("step")
    ax.set_ylabel("loss (nats per token)")
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    if train_points or eval_points:
        ax.legend()
    _save(fig, path)


def _interval(value):
    """(mean, lo, hi) or None from a tuple/list of 3 numbers (or None)."""
    if value is None:
        return None
    if not isinstance(value, (list, tuple)) or len(value) != 3 or \
            not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in value):
        raise Unusable("an interval must be [mean, lo, hi] (three finite numbers) or null")
    mean, lo, hi = (float(v) for v in value)
    return mean, min(lo, mean), max(hi, mean)


def _number(value):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise Unusable("perplexity must be a positive number or null")
    return float(value)


def answers_chart(path, systems):
    """Grouped bars: one panel per metric, a bar per system, 95% intervals as error bars.
    systems: [{"name": str, "metrics": {"cosine": (mean, lo, hi), "chrf": (mean, lo, hi),
    "win_rate": (mean, lo, hi) or None, "perplexity": value or None}}]"""
    if not systems:
        raise Unusable("no systems to chart")
    names = [str(s["name"]) for s in systems]
    data = {}
    for key, _, _ in PANELS:
        values = [(s.get("metrics") or {}).get(key) for s in systems]
        data[key] = [_number(v) for v in values] if key == "perplexity" else [_interval(v) for v in values]
    panels = [p for p in PANELS if any(v is not None for v in data[p[0]])]
    if not panels:
        raise Unusable("no metric has a value")
    columns = 2 if len(panels) > 1 else 1
    rows = math.ceil(len(panels) / columns)
    width = max(4.5, 0.9 * len(names) + 2.5)
    fig, axes = plt.subplots(rows, columns, figsize=(width * columns, 3.9 * rows), squeeze=False)
    colors = [COLORS[i % len(COLORS)] for i in range(len(names))]
    x = list(range(len(names)))
    for index, (key, title, limits) in enumerate(panels):
        ax = axes[index // columns][index % columns]
        values = data[key]
        present = [i for i, v in enumerate(values) if v is not None]
        if key == "perplexity":
            heights = [values[i] for i in present]
            bars = ax.bar([x[i] for i in present], heights, color=[colors[i] for i in present], width=0.65)
            if len(heights) > 1 and max(heights) / min(heights) > 20:
                ax.set_yscale("log")
                ax.set_ylim(min(heights) / 2, max(heights) * 3)
                title = title.replace(" (lower", ", log scale (lower")
            else:
                ax.set_ylim(0, max(heights) * 1.18)
            tops = heights
            labels = [f"{h:,.0f}" if h >= 100 else f"{h:.2f}" for h in heights]
        else:
            means = [values[i][0] for i in present]
            errors = [[values[i][0] - values[i][1] for i in present], [values[i][2] - values[i][0] for i in present]]
            bars = ax.bar([x[i] for i in present], means, color=[colors[i] for i in present], width=0.65,
                          yerr=errors, capsize=4, error_kw={"elinewidth": 1.2, "ecolor": "#333333"})
            ax.set_ylim(limits[0], limits[1] * 1.1)  # room for the labels above a full bar
            ax.set_yticks([limits[1] * k / 5 for k in range(6)])
            tops = [values[i][2] for i in present]  # labels above the whiskers
            if key == "win_rate":
                ax.axhline(0.5, color="#555555", linestyle="--", linewidth=1, label="tie (0.5)")
                ax.legend(loc="upper right", fontsize=8, frameon=False)
            labels = [f"{m:.1f}" if key == "chrf" else f"{m:.2f}" for m in means]
        for bar, top, label in zip(bars, tops, labels):
            ax.annotate(label, (bar.get_x() + bar.get_width() / 2, top), xytext=(0, 2),
                        textcoords="offset points", ha="center", va="bottom", fontsize=8,
                        bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.7})
        missing = [names[i] for i, v in enumerate(values) if v is None]
        if missing:
            ax.text(0.01, 0.98, "no value: " + ", ".join(missing), transform=ax.transAxes, ha="left", va="top",
                    fontsize=7, color="gray")
        ax.set_title(title, fontsize=10)
        ax.set_xticks(x)
        ax.set_xticklabels(names, rotation=20 if len(names) > 3 else 0, ha="right" if len(names) > 3 else "center",
                           fontsize=9)
        ax.grid(True, axis="y", alpha=0.3)
        ax.set_axisbelow(True)
    for index in range(len(panels), rows * columns):
        axes[index // columns][index % columns].axis("off")
    fig.suptitle("Answers to held-out questions (bars: mean; whiskers: 95% interval)", fontsize=11)
    fig.tight_layout()
    _save(fig, path)


def main(argv):
    if len(argv) != 3 or argv[0] != "answers":
        print(__doc__.split("usage: ")[1].split("\n")[0], file=sys.stderr)
        return 2
    try:
        with open(argv[1], encoding="utf-8") as f:
            metrics = json.load(f)
    except OSError as error:
        raise Unusable(f"{argv[1]}: cannot read ({error.strerror})")
    except ValueError:
        raise Unusable(f"{argv[1]}: not JSON")
    systems = metrics.get("systems") if isinstance(metrics, dict) else None
    if not isinstance(systems, list) or not all(isinstance(s, dict) and "name" in s for s in systems):
        raise Unusable(f"{argv[1]}: expected {{\"systems\": [{{\"name\": ..., \"metrics\": {{...}}}}]}}")
    answers_chart(argv[2], systems)
    return 0


if __name__ == "__main__":
    child.run(main)
