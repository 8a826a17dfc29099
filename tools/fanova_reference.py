"""An independent implementation of sweep's parameter importance, for its tests.

How to run (from the package root; plain Python 3, no packages):

    python3 tools/fanova_reference.py

It writes Tests/SweepKitTests/Analysis/ReferenceValues/fanova.json: a search space, 150 synthetic
trials drawn from it (with SplitMix64, seed 2024) and the importances that
`ParameterImportance` (Sources/SweepKit/Analysis) must give for them with its default options
(64 trees, seed 0). This script re-implements the method from its description, in plain Python
floats (IEEE doubles, like Swift's), with the same order of operations, so the Swift test can ask
for agreement to 1e-12:

1. Encoding. Each search dimension, in the order the Swift `SearchSpace` gives them (parents
   before children, otherwise by name), is a feature. A listed setting is categorical: category
   = index of the value, equal mass (1 − p)/K per listed value. A distribution is an interval:
   uniform [min, max]; log_uniform [ln min, ln max] with coordinate ln x; int_uniform
   [min − ½, max + ½]; int_log_uniform [ln(min − ½), ln(max + ½)]. A trial lacking the dimension
   (conditional) takes one more category, or the point lower − max(upper − lower, 1), of mass p =
   the share of trials lacking it.
2. The forest. 64 trees; tree i's bootstrap weights come from SplitMix64.derived(0, i): n draws
   of next() % n. CART on the weighted rows: at each node every feature is tried; continuous cuts
   between neighbouring distinct values at value + (next − value)/2, categorical cuts of the
   categories present ordered by mean target (ties by index), unseen categories to the heavier
   side; the split with the largest S_L²/W_L + S_R²/W_R wins, ties to the first found. A node
   becomes a leaf at depth 64, with one row, with equal targets, or with no possible cut. Targets
   are centred on their mean first.
3. fANOVA per tree (Hutter, Hoos & Leyton-Brown 2014): total variance of the leaves' values
   weighted by their boxes' measure; each feature's marginal, constant on each category or
   between neighbouring box edges; its variance over the total. Averaged over trees with a
   positive total variance; a setting's fraction is the sum of its dimensions'; importances are
   the fractions over their sum.

CI never runs this; the JSON is committed.
"""

import json
import math
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
OUTPUT = PACKAGE_ROOT / "Tests" / "SweepKitTests" / "Analysis" / "ReferenceValues" / "fanova.json"
MASK64 = (1 << 64) - 1

PARAMETERS = {
    "optimizer": {"values": ["sgd", "adam", "rmsprop"]},
    "momentum": {"values": [0.8, 0.9, 0.99], "when": {"optimizer": ["sgd"]}},
    "lr": {"distribution": "log_uniform", "min": 0.0001, "max": 0.1},
    "dropout": {"distribution": "uniform", "min": 0, "max": 0.5},
    "batch_size": {"distribution": "int_uniform", "min": 16, "max": 128},
    "hidden_layers": {"depth": {"values": [1, 2]}, "width": {"distribution": "int_log_uniform", "min": 16, "max": 256}},
}
# The Swift SearchSpace's order: parents before the dimensions whose "when" names them, otherwise by name.
DIMENSIONS = ["batch_size", "dropout", "hidden_layers.depth", "hidden_layers.width_1", "hidden_layers.width_2", "lr", "optimizer", "momentum"]
TRIAL_COUNT = 150


class SplitMix64:
    """Bit-identical to Sources/NeuralNet/Random.swift."""

    def __init__(self, seed: int):
        self.state = seed & MASK64

    def next(self) -> int:
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        return z ^ (z >> 31)

    def next_index(self, bound: int) -> int:
        return self.next() % bound

    def next_unit_double(self) -> float:
        return float(self.next() >> 11) * (1.0 / 9_007_199_254_740_992.0)

    def next_standard_normal(self) -> float:
        u1 = 1.0 - self.next_unit_double()
        u2 = self.next_unit_double()
        return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)

    @staticmethod
    def derived(seed: int, stream: int) -> "SplitMix64":
        mixer = SplitMix64((seed ^ ((stream * 0xD1B54A32D192ED03) & MASK64)) & MASK64)
        return SplitMix64(mixer.next())


# ---------------------------------------------------------------------------------------------
# Synthetic trials


def make_trials() -> list:
    """Parameters and a metric with known structure: the optimizer (and SGD's momentum) and lr
    matter most, dropout matters with two layers, the batch size and widths not at all."""
    generator = SplitMix64(2024)
    trials = []
    for number in range(1, TRIAL_COUNT + 1):
        optimizer = ["sgd", "adam", "rmsprop"][generator.next_index(3)]
        parameters = {"optimizer": optimizer}
        if optimizer == "sgd":
            parameters["momentum"] = [0.8, 0.9, 0.99][generator.next_index(3)]
        parameters["lr"] = math.exp(math.log(0.0001) + (math.log(0.1) - math.log(0.0001)) * generator.next_unit_double())
        parameters["dropout"] = 0.5 * generator.next_unit_double()
        parameters["batch_size"] = float(16 + generator.next_index(113))
        depth = 1 + generator.next_index(2)
        low, high = math.log(15.5), math.log(256.5)
        parameters["hidden_layers"] = [
            float(min(max(round(math.exp(low + (high - low) * generator.next_unit_double())), 16), 256)) for _ in range(depth)
        ]
        effect = {"sgd": -0.03 + {0.8: -0.02, 0.9: 0.0, 0.99: 0.02}.get(parameters.get("momentum"), 0.0), "adam": 0.02, "rmsprop": 0.0}[optimizer]
        metric = 0.85 + effect - 0.01 * (math.log10(parameters["lr"]) + 2.5) ** 2 + 0.04 * parameters["dropout"] * (depth - 1)
        metric += 0.005 * generator.next_standard_normal()
        trials.append({"number": number, "parameters": parameters, "validation_accuracy": metric})
    return trials


# ---------------------------------------------------------------------------------------------
# Encoding


def dimension_parameter(space: dict, name: str) -> dict:
    if name == "hidden_layers.depth":
        return space["hidden_layers"]["depth"]
    if name.startswith("hidden_layers.width_"):
        return space["hidden_layers"]["width"]
    return space[name]


def coordinate(space: dict, name: str, parameters: dict):
    """The Swift SearchSpace.point(of:) coordinate, or None when the dimension is absent."""
    if name == "hidden_layers.depth":
        return float(space["hidden_layers"]["depth"]["values"].index(len(parameters["hidden_layers"])))
    if name.startswith("hidden_layers.width_"):
        index = int(name.rsplit("_", 1)[1]) - 1
        widths = parameters["hidden_layers"]
        return widths[index] if index < len(widths) else None
    if name not in parameters:
        return None
    parameter = space[name]
    if "values" in parameter:
        return float(parameter["values"].index(parameters[name]))
    return parameters[name]


def encode(space: dict, name: str, points: list):
    """(domain, column): domain is ("categories", masses) or ("interval", lower, upper, code, mass)."""
    coordinates = [point[name] for point in points]
    absent_count = sum(1 for value in coordinates if value is None)
    absent_mass = float(absent_count) / float(max(len(points), 1))
    parameter = dimension_parameter(space, name)
    if "values" in parameter:
        listed = len(parameter["values"])
        masses = [(1 - absent_mass) / float(listed)] * listed
        if absent_count > 0:
            masses.append(absent_mass)
        column = [float(min(max(int(value), 0), listed - 1)) if value is not None else float(listed) for value in coordinates]
        return ("categories", masses), column
    kind, minimum, maximum = parameter["distribution"], float(parameter["min"]), float(parameter["max"])
    if kind == "uniform":
        lower, upper, transform = minimum, maximum, (lambda x: x)
    elif kind == "log_uniform":
        lower, upper, transform = math.log(minimum), math.log(maximum), math.log
    elif kind == "int_uniform":
        lower, upper, transform = minimum - 0.5, maximum + 0.5, (lambda x: x)
    elif kind == "int_log_uniform":
        lower, upper, transform = math.log(minimum - 0.5), math.log(maximum + 0.5), math.log
    else:
        raise ValueError(kind)
    code = lower - max(upper - lower, 1.0)
    column = [min(max(transform(value), lower), upper) if value is not None else code for value in coordinates]
    return ("interval", lower, upper, code, absent_mass), column


def is_categorical(domain) -> bool:
    return domain[0] == "categories"


def interval_measure(domain, low: float, high: float) -> float:
    _, lower, upper, code, absent_mass = domain
    mass = 0.0
    if absent_mass > 0 and low <= code <= high:
        mass += absent_mass
    overlap = min(high, upper) - max(low, lower)
    if overlap > 0 and upper > lower:
        mass += (1 - absent_mass) * overlap / (upper - lower)
    return mass


def category_measure(domain, members: list) -> float:
    mass = 0.0
    for index, weight in enumerate(domain[1]):
        if members[index]:
            mass += weight
    return mass


# ---------------------------------------------------------------------------------------------
# The forest


class TreeGrower:
    def __init__(self, domains, columns, targets, weights, sorted_rows):
        self.domains, self.columns, self.targets, self.weights = domains, columns, targets, weights
        self.members = [row for row in range(len(weights)) if weights[row] > 0]
        self.ordered = [[row for row in rows if weights[row] > 0] for rows in sorted_rows]
        self.goes_left = [False] * len(targets)
        self.leaves = []

    def grow(self):
        box = {"lowers": [], "uppers": [], "categories": []}
        for domain in self.domains:
            if is_categorical(domain):
                box["lowers"].append(0.0)
                box["uppers"].append(0.0)
                box["categories"].append([True] * len(domain[1]))
            else:
                _, lower, upper, code, absent_mass = domain
                box["lowers"].append(code if absent_mass > 0 else lower)
                box["uppers"].append(upper)
                box["categories"].append([])
        self.split(0, len(self.members), 0, box)
        return self.leaves

    def split(self, start, end, depth, box):
        total_weight, total_sum = 0.0, 0.0
        smallest, largest = math.inf, -math.inf
        for position in range(start, end):
            row = self.members[position]
            total_weight += self.weights[row]
            total_sum += self.weights[row] * self.targets[row]
            smallest = min(smallest, self.targets[row])
            largest = max(largest, self.targets[row])
        count = end - start
        best = None
        if depth < 64 and count >= 2 and smallest < largest:
            best = self.best_split(start, end, total_weight, total_sum)
        if best is None:
            self.leaves.append({"value": total_sum / total_weight, "lowers": list(box["lowers"]), "uppers": list(box["uppers"]),
                                "categories": [list(c) for c in box["categories"]]})
            return
        feature = best["feature"]
        column = self.columns[feature]
        categorical = is_categorical(self.domains[feature])
        for position in range(start, end):
            row = self.members[position]
            self.goes_left[row] = best["left"][int(column[row])] if categorical else column[row] <= best["threshold"]
        middle = self.partition(self.members, start, end)
        for rows in self.ordered:
            if rows:
                self.partition(rows, start, end)
        left = {"lowers": list(box["lowers"]), "uppers": list(box["uppers"]), "categories": [list(c) for c in box["categories"]]}
        right = {"lowers": list(box["lowers"]), "uppers": list(box["uppers"]), "categories": [list(c) for c in box["categories"]]}
        if categorical:
            left["categories"][feature] = [a and b for a, b in zip(box["categories"][feature], best["left"])]
            right["categories"][feature] = [a and not b for a, b in zip(box["categories"][feature], best["left"])]
        else:
            left["uppers"][feature] = best["threshold"]
            right["lowers"][feature] = best["threshold"]
        self.split(start, middle, depth + 1, left)
        self.split(middle, end, depth + 1, right)

    def partition(self, rows, start, end):
        chunk = rows[start:end]
        left = [row for row in chunk if self.goes_left[row]]
        right = [row for row in chunk if not self.goes_left[row]]
        rows[start:end] = left + right
        return start + len(left)

    def best_split(self, start, end, total_weight, total_sum):
        count = end - start
        best = None
        for feature, domain in enumerate(self.domains):
            column = self.columns[feature]
            if is_categorical(domain):
                size = len(domain[1])
                category_weight, category_sum, category_count = [0.0] * size, [0.0] * size, [0] * size
                for position in range(start, end):
                    row = self.members[position]
                    category = int(column[row])
                    category_weight[category] += self.weights[row]
                    category_sum[category] += self.weights[row] * self.targets[row]
                    category_count[category] += 1
                present = [c for c in range(size) if category_count[c] > 0]
                if len(present) < 2:
                    continue
                by_mean = sorted(present, key=lambda c: (category_sum[c] / category_weight[c], c))
                left_weight, left_sum, left_count = 0.0, 0.0, 0
                for cut in range(len(by_mean) - 1):
                    category = by_mean[cut]
                    left_weight += category_weight[category]
                    left_sum += category_sum[category]
                    left_count += category_count[category]
                    if left_count < 1 or count - left_count < 1:
                        continue
                    right_weight, right_sum = total_weight - left_weight, total_sum - left_sum
                    score = left_sum * left_sum / left_weight + right_sum * right_sum / right_weight
                    if best is None or score > best["score"]:
                        left = [False] * size
                        for index in range(cut + 1):
                            left[by_mean[index]] = True
                        if left_weight >= right_weight:
                            for index in range(size):
                                if category_count[index] == 0:
                                    left[index] = True
                        best = {"feature": feature, "score": score, "left": left}
            else:
                rows = self.ordered[feature]
                left_weight, left_sum = 0.0, 0.0
                for position in range(start, end - 1):
                    row = rows[position]
                    left_weight += self.weights[row]
                    left_sum += self.weights[row] * self.targets[row]
                    value, next_value = column[row], column[rows[position + 1]]
                    left_count = position - start + 1
                    if not (next_value > value and left_count >= 1 and count - left_count >= 1):
                        continue
                    right_weight, right_sum = total_weight - left_weight, total_sum - left_sum
                    score = left_sum * left_sum / left_weight + right_sum * right_sum / right_weight
                    if best is None or score > best["score"]:
                        threshold = value + (next_value - value) / 2
                        if threshold >= next_value:
                            threshold = value
                        best = {"feature": feature, "score": score, "threshold": threshold}
        return best


# ---------------------------------------------------------------------------------------------
# Functional ANOVA


def weighted_variance(values, weights) -> float:
    total, weighted_sum = 0.0, 0.0
    for value, weight in zip(values, weights):
        total += weight
        weighted_sum += weight * value
    if not total > 0:
        return 0.0
    mean = weighted_sum / total
    squares = 0.0
    for value, weight in zip(values, weights):
        squares += weight * (value - mean) * (value - mean)
    return squares / total


def decompose(leaves, domains):
    measures = []
    for leaf in leaves:
        row = []
        for feature, domain in enumerate(domains):
            if is_categorical(domain):
                row.append(category_measure(domain, leaf["categories"][feature]))
            else:
                row.append(interval_measure(domain, leaf["lowers"][feature], leaf["uppers"][feature]))
        measures.append(row)
    volumes = []
    for row in measures:
        product = 1.0
        for measure in row:
            product *= measure
        volumes.append(product)
    total_variance = weighted_variance([leaf["value"] for leaf in leaves], volumes)
    marginals = []
    for feature, domain in enumerate(domains):
        others = []
        for row in measures:
            product = 1.0
            for index, measure in enumerate(row):
                if index != feature:
                    product *= measure
            others.append(product)
        values, weights = [], []
        if is_categorical(domain):
            for category, mass in enumerate(domain[1]):
                if not mass > 0:
                    continue
                weight, weighted_value = 0.0, 0.0
                for index, leaf in enumerate(leaves):
                    if leaf["categories"][feature][category]:
                        weight += others[index]
                        weighted_value += others[index] * leaf["value"]
                if not weight > 0:
                    continue
                values.append(weighted_value / weight)
                weights.append(mass * weight)
        else:
            edges = sorted(edge for leaf in leaves for edge in (leaf["lowers"][feature], leaf["uppers"][feature]))
            distinct = []
            for edge in edges:
                if not distinct or distinct[-1] != edge:
                    distinct.append(edge)
            if len(distinct) >= 2:
                position = {edge: index for index, edge in enumerate(distinct)}
                weight_changes, value_changes = [0.0] * len(distinct), [0.0] * len(distinct)
                for index, leaf in enumerate(leaves):
                    first, last = position[leaf["lowers"][feature]], position[leaf["uppers"][feature]]
                    weight_changes[first] += others[index]
                    weight_changes[last] -= others[index]
                    value_changes[first] += others[index] * leaf["value"]
                    value_changes[last] -= others[index] * leaf["value"]
                weight, weighted_value = 0.0, 0.0
                for segment in range(len(distinct) - 1):
                    weight += weight_changes[segment]
                    weighted_value += value_changes[segment]
                    mass = interval_measure(domain, distinct[segment], distinct[segment + 1])
                    if not (weight > 0 and mass > 0):
                        continue
                    values.append(weighted_value / weight)
                    weights.append(mass * weight)
        marginals.append(max(weighted_variance(values, weights), 0.0))
    return total_variance, marginals


def importances(trials, space: dict, dimensions: list):
    """The importances of ParameterImportance with its default options: per setting (by name),
    the importance, variance fraction and its standard deviation over trees; the main-effect share;
    the number of trees whose prediction varies."""
    rows = sorted(trials, key=lambda trial: trial["number"])
    points = [{name: coordinate(space, name, trial["parameters"]) for name in dimensions} for trial in rows]
    domains, columns = [], []
    for name in dimensions:
        domain, column = encode(space, name, points)
        domains.append(domain)
        columns.append(column)
    values = [trial["validation_accuracy"] for trial in rows]
    total = 0.0
    for value in values:
        total += value
    mean = total / float(len(values))
    targets = [value - mean for value in values]
    n = len(targets)
    sorted_rows = [
        [] if is_categorical(domains[feature]) else sorted(range(n), key=lambda row: (columns[feature][row], row))
        for feature in range(len(domains))
    ]
    fractions_by_tree = []
    for tree in range(64):
        generator = SplitMix64.derived(0, tree)
        weights = [0.0] * n
        for _ in range(n):
            weights[generator.next_index(n)] += 1
        leaves = TreeGrower(domains, columns, targets, weights, sorted_rows).grow()
        total_variance, marginals = decompose(leaves, domains)
        if total_variance > 0:
            fractions_by_tree.append([marginal / total_variance for marginal in marginals])
    settings = sorted({name.split(".")[0] for name in dimensions})
    result = []
    for setting in settings:
        indices = [index for index, name in enumerate(dimensions) if name.split(".")[0] == setting]
        per_tree = []
        for fractions in fractions_by_tree:
            value = 0.0
            for index in indices:
                value += fractions[index]
            per_tree.append(value)
        fraction = 0.0
        for value in per_tree:
            fraction += value
        fraction /= float(len(per_tree))
        variance = 0.0
        for value in per_tree:
            variance += (value - fraction) * (value - fraction)
        variance /= float(len(per_tree))
        result.append({"setting": setting, "variance_fraction": fraction, "standard_deviation": math.sqrt(variance)})
    main_effect_share = 0.0
    for entry in result:
        main_effect_share += entry["variance_fraction"]
    for entry in result:
        entry["importance"] = entry["variance_fraction"] / main_effect_share
    return result, main_effect_share, len(fractions_by_tree)


def main() -> None:
    trials = make_trials()
    result, main_effect_share, tree_count = importances(trials, PARAMETERS, DIMENSIONS)
    document = {
        "generator": "tools/fanova_reference.py",
        "parameters": PARAMETERS,
        "dimensions": DIMENSIONS,
        "trials": trials,
        "importances": result,
        "main_effect_share": main_effect_share,
        "trees_with_variance": tree_count,
    }
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(document, indent=1, sort_keys=True) + "\n")
    for entry in sorted(result, key=lambda entry: -entry["importance"]):
        print(f"{entry['setting']:>14}  importance {entry['importance']:.4f}  fraction {entry['variance_fraction']:.4f}")
    print(f"main effects explain {main_effect_share:.4f}; wrote {OUTPUT.relative_to(PACKAGE_ROOT)}")


if __name__ == "__main__":
    main()
