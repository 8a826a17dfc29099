"""Generate PyTorch golden-value fixtures for the NeuralNet Swift tests.

How to run (from the package root):

    tools/setup-python-env.sh                      # once: creates tools/.venv
    tools/.venv/bin/python tools/make_goldens.py   # rewrites the fixtures
    tools/.venv/bin/python tools/make_goldens.py ordinal losses --loss ordinal
        # writes only ordinal.json, and in losses.json recomputes only the
        # ordinal cases, keeping every other stored case byte for byte

The script writes JSON files into Tests/NeuralNetTests/Fixtures/:

    layers.json      Linear forward/backward, activation forward/backward
    losses.json      loss values and input gradients (mean reduction), including
                     the ordinal (CORAL) loss on [rows, K-1] logits
    batchnorm.json   BatchNorm1d train/eval outputs, gradients, running stats
    optimizers.json  10 full-batch steps of SGD/Adagrad/RMSprop/Adam/AdamW
    schedules.json   30 epochs of learning rates from torch.optim.lr_scheduler
    summary.json     per-layer output shapes and parameter counts
    network.json     forward/backward through a whole BatchNorm network
    ordinal.json     an ordinal (CORAL) output head: Linear(width, 1) then K-1
                     thresholds; logits, class probabilities, loss, gradients

Everything is computed on the CPU in float32 with a single thread and fixed
seeds, so re-running the script reproduces the files byte for byte (for the
same torch version; torch's vectorised exp and sigmoid can differ in the last
bit between CPUs, so on another machine a full run may change a few existing
values by one float32 ulp -- then write only the new parts, as above). Tensor
values are written as the exact float32 values (converted to Python floats
through tensor.double()). Matrices are nested lists [rows][columns]; vectors
are flat lists. Learning-rate schedules are
computed by PyTorch in Python (double precision) floats.

Python is only needed to regenerate the fixtures; the Swift tests read the
JSON files directly.
"""

import argparse
import json
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
FIXTURES_DIRECTORY = PACKAGE_ROOT / "Tests" / "NeuralNetTests" / "Fixtures"
GENERATOR = "tools/make_goldens.py"


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


def to_list(tensor):
    """Exact values of a tensor as (nested) Python lists.

    Floating-point tensors become Python floats holding the exact float32
    value; integer tensors become Python ints. A 0-d tensor becomes a scalar.
    """
    tensor = tensor.detach()
    if tensor.is_floating_point():
        return tensor.double().tolist()
    return tensor.tolist()


def to_scalar(tensor):
    """Exact value of a one-element tensor as a Python float."""
    return float(tensor.detach().double().item())


def keep_away_from_zero(tensor, minimum_magnitude=1e-3):
    """Replace entries closer than minimum_magnitude to 0 (kinks of ReLU-likes)."""
    tensor = tensor.clone()
    too_close = tensor.abs() < minimum_magnitude
    tensor[too_close] = 0.5
    assert (tensor.abs() >= minimum_magnitude).all()
    return tensor


def format_json(value, indentation=0):
    """Deterministic JSON: sorted keys, one line per innermost list of numbers."""
    if isinstance(value, dict):
        if not value:
            return "{}"
        inner = " " * (indentation + 1)
        items = [
            f"{inner}{json.dumps(key)}: {format_json(value[key], indentation + 1)}"
            for key in sorted(value)
        ]
        return "{\n" + ",\n".join(items) + "\n" + " " * indentation + "}"
    if isinstance(value, list):
        if all(not isinstance(item, (dict, list)) for item in value):
            return json.dumps(value, allow_nan=False)
        inner = " " * (indentation + 1)
        items = [f"{inner}{format_json(item, indentation + 1)}" for item in value]
        return "[\n" + ",\n".join(items) + "\n" + " " * indentation + "]"
    return json.dumps(value, allow_nan=False)


def write_fixture(file_name, content):
    document = {"torch_version": torch.__version__, "generator": GENERATOR}
    document.update(content)
    text = format_json(document) + "\n"
    json.loads(text)  # the file must be valid JSON
    path = FIXTURES_DIRECTORY / file_name
    path.write_text(text)
    print(f"wrote {path.relative_to(PACKAGE_ROOT)} ({len(text)} bytes)")


# ---------------------------------------------------------------------------
# layers.json
# ---------------------------------------------------------------------------


def linear_case(in_features, out_features, batch_size, seed):
    torch.manual_seed(seed)
    layer = nn.Linear(in_features, out_features)
    x = torch.randn(batch_size, in_features, requires_grad=True)
    grad_output = torch.randn(batch_size, out_features)
    output = layer(x)
    (output * grad_output).sum().backward()
    return {
        "in_features": in_features,
        "out_features": out_features,
        "x": to_list(x),
        "weight": to_list(layer.weight),
        "bias": to_list(layer.bias),
        "grad_output": to_list(grad_output),
        "output": to_list(output),
        "grad_input": to_list(x.grad),
        "grad_weight": to_list(layer.weight.grad),
        "grad_bias": to_list(layer.bias.grad),
    }


def activation_input(seed):
    """A [4, 5] input with no value near 0 and a few large magnitudes (+-8)."""
    torch.manual_seed(seed)
    x = keep_away_from_zero(torch.randn(4, 5))
    x[0, 0] = 8.0
    x[1, 3] = -8.0
    x[3, 4] = 8.0
    x[2, 1] = -8.0
    return x


def activation_case(name, module, seed, extra_fields=None):
    x = activation_input(seed).requires_grad_(True)
    torch.manual_seed(seed + 1000)
    grad_output = torch.randn(4, 5)
    output = module(x)
    (output * grad_output).sum().backward()
    case = {
        "name": name,
        "x": to_list(x),
        "grad_output": to_list(grad_output),
        "output": to_list(output),
        "grad_input": to_list(x.grad),
    }
    if extra_fields:
        case.update(extra_fields)
    return case


def prelu_case(initial_slope, seed):
    module = nn.PReLU(num_parameters=1, init=initial_slope)
    case = activation_case("prelu", module, seed, {"prelu_weight": initial_slope})
    case["grad_prelu_weight"] = to_scalar(module.weight.grad)
    return case


def make_layers():
    linear_cases = [
        linear_case(in_features=3, out_features=2, batch_size=4, seed=101),
        linear_case(in_features=20, out_features=8, batch_size=5, seed=102),
        # 33 outputs x 13 rows: exercises the edge tiles of a blocked GEMM.
        linear_case(in_features=7, out_features=33, batch_size=13, seed=103),
    ]
    activation_cases = [
        activation_case("sigmoid", nn.Sigmoid(), seed=201),
        activation_case("tanh", nn.Tanh(), seed=202),
        activation_case("relu", nn.ReLU(), seed=203),
        activation_case(
            "leaky_relu", nn.LeakyReLU(0.01), seed=204, extra_fields={"negative_slope": 0.01}
        ),
        activation_case(
            "leaky_relu", nn.LeakyReLU(0.2), seed=205, extra_fields={"negative_slope": 0.2}
        ),
        prelu_case(initial_slope=0.25, seed=206),
        prelu_case(initial_slope=0.1, seed=207),
        activation_case("softmax", nn.Softmax(dim=-1), seed=208),
        activation_case("identity", nn.Identity(), seed=209),
    ]
    write_fixture("layers.json", {"linear": linear_cases, "activations": activation_cases})


# ---------------------------------------------------------------------------
# losses.json
# ---------------------------------------------------------------------------


def loss_case(name, loss_function, input_values, target, extra_fields=None):
    input_tensor = input_values.clone().requires_grad_(True)
    loss = loss_function(input_tensor, target)
    loss.backward()
    case = {
        "name": name,
        "input": to_list(input_tensor),
        "target": to_list(target),
        "loss": to_scalar(loss),
        "grad_input": to_list(input_tensor.grad),
    }
    if extra_fields:
        case.update(extra_fields)
    return case


def cross_entropy_cases():
    loss_function = nn.CrossEntropyLoss()
    torch.manual_seed(301)
    logits = torch.randn(6, 4) * 2
    target = torch.randint(0, 4, (6,))
    cases = [loss_case("cross_entropy", loss_function, logits, target)]

    stable_logits = torch.tensor(
        [
            [100.0, -100.0, 0.5, 3.0],
            [-100.0, 100.0, 2.0, -1.0],
            [100.0, 100.0, -100.0, 0.0],
            [-100.0, -100.0, -100.0, -100.0],
            [0.25, -0.5, 100.0, 1.5],
            [-3.0, 2.0, -100.0, 100.0],
        ]
    )
    stable_target = torch.tensor([1, 1, 0, 2, 2, 3])
    cases.append(
        loss_case(
            "cross_entropy",
            loss_function,
            stable_logits,
            stable_target,
            {"note": "logits of +-100: needs the log-sum-exp (max-subtracted) formulation"},
        )
    )

    torch.manual_seed(302)
    logits = torch.randn(5, 3)
    target = torch.tensor([0, 2, 1, 2, 0])
    cases.append(loss_case("cross_entropy", loss_function, logits, target))

    # The engine works through rows in blocks of 256 floats (51 rows of 5 classes) and one row
    # at a time past 256 classes: one case crosses blocks, one has 300 classes.
    torch.manual_seed(303)
    logits = torch.randn(70, 5) * 3
    target = torch.randint(0, 5, (70,))
    cases.append(loss_case("cross_entropy", loss_function, logits, target, {"note": "70 rows cross the engine's blocks"}))
    torch.manual_seed(304)
    logits = torch.randn(3, 300) * 3
    target = torch.tensor([0, 150, 299])
    cases.append(loss_case("cross_entropy", loss_function, logits, target, {"note": "300 classes"}))
    return cases


def binary_cross_entropy_cases():
    loss_function = nn.BCELoss()
    cases = []
    for seed, shape in [(311, (5, 1)), (312, (4, 3))]:
        torch.manual_seed(seed)
        probabilities = torch.sigmoid(torch.randn(*shape) * 1.5)
        target = torch.randint(0, 2, shape).float()
        cases.append(loss_case("bce", loss_function, probabilities, target))

    edge_probabilities = torch.tensor([[0.0, 1.0], [0.0, 1.0], [0.3, 0.8], [0.6, 0.1]])
    edge_target = torch.tensor([[0.0, 1.0], [1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    note = (
        "inputs exactly 0.0 and 1.0: PyTorch clamps each log term at -100, so a "
        "confidently wrong element contributes 100 to the sum before the mean. "
        "The gradient is (input - target) / max(input * (1 - input), 1e-12) / N, "
        "so a wrong element at exactly 0 or 1 gets a huge but finite gradient "
        "(+-1e12 / N) and a right one gets 0."
    )
    cases.append(loss_case("bce", loss_function, edge_probabilities, edge_target, {"note": note}))
    return cases


def binary_cross_entropy_with_logits_cases():
    loss_function = nn.BCEWithLogitsLoss()
    cases = []

    torch.manual_seed(321)
    logits = torch.randn(5, 1) * 2
    logits[0, 0] = 30.0
    logits[3, 0] = -30.0
    target = torch.tensor([[0.0], [1.0], [1.0], [1.0], [0.0]])
    cases.append(loss_case("bce_with_logits", loss_function, logits, target))

    torch.manual_seed(322)
    logits = torch.randn(4, 3) * 2
    logits[0, 1] = 30.0
    logits[1, 2] = -30.0
    logits[2, 0] = 30.0
    logits[3, 0] = -30.0
    target = torch.randint(0, 2, (4, 3)).float()
    target[0, 1] = 0.0  # confidently wrong at +30
    target[1, 2] = 1.0  # confidently wrong at -30
    target[2, 0] = 1.0  # confidently right at +30
    target[3, 0] = 0.0  # confidently right at -30
    cases.append(loss_case("bce_with_logits", loss_function, logits, target))

    torch.manual_seed(323)
    logits = torch.randn(4, 2) * 2
    soft_target = torch.tensor([[0.3, 0.7], [0.7, 0.3], [0.3, 0.3], [0.7, 0.7]])
    cases.append(
        loss_case(
            "bce_with_logits",
            loss_function,
            logits,
            soft_target,
            {"note": "soft (non 0/1) targets"},
        )
    )
    return cases


def regression_cases():
    torch.manual_seed(331)
    input_values = torch.randn(5, 2)
    # Differences input - target: none zero, some |d| < 1 and some > 1 (smooth_l1 branches).
    differences = torch.tensor([[0.3, -2.5], [1.7, -0.4], [-0.05, 3.1], [0.8, -1.2], [-0.6, 2.2]])
    target = input_values - differences
    assert ((input_values - target).abs() > 1e-3).all()
    return [
        loss_case("l1", nn.L1Loss(), input_values, target),
        loss_case("mse", nn.MSELoss(), input_values, target),
        loss_case("smooth_l1", nn.SmoothL1Loss(beta=1.0), input_values, target, {"beta": 1.0}),
    ]


def ordinal_levels(target, thresholds):
    """CORAL's binary targets: levels[i, k] = [target[i] > k] for k = 0..thresholds-1."""
    return (target[:, None] > torch.arange(thresholds)[None, :]).float()


def ordinal_loss(logits, target):
    """coral-pytorch's coral_loss: the sum over the K-1 thresholds of the binary cross-entropy
    of logit k against [t > k], averaged over the rows. logits [N, K-1], target class indices [N]."""
    levels = ordinal_levels(target, logits.shape[1])
    return F.binary_cross_entropy_with_logits(logits, levels, reduction="none").sum(1).mean()


def ordinal_probabilities(logits):
    """Class probabilities [N, K] from ordinal logits [N, K-1]: c_k = sigmoid(z_k); P(0) = 1 - c_0,
    P(k) = c_(k-1) - c_k, P(K-1) = c_(K-2). No clamping."""
    c = torch.sigmoid(logits)
    return torch.cat([1 - c[:, :1], c[:, :-1] - c[:, 1:], c[:, -1:]], dim=1)


def ordinal_cases():
    note = (
        "ordinal (CORAL) loss: input = logits [rows, K-1], target = class indices in 0..K-1; "
        "loss = mean over rows of sum over k of BCEWithLogits(z_k, [t > k]); "
        "grad = (sigmoid(z_k) - [t > k]) / rows"
    )
    cases = []
    torch.manual_seed(341)
    logits = torch.randn(6, 3) * 2
    target = torch.tensor([0, 3, 1, 2, 3, 0])
    cases.append(loss_case("ordinal", ordinal_loss, logits, target, {"note": note + "; K = 4"}))

    large_logits = torch.tensor(
        [
            [30.0, -30.0, -100.0],
            [100.0, 30.0, -30.0],
            [-100.0, -100.0, -100.0],
            [100.0, 100.0, 100.0],
            [30.0, 0.5, -100.0],
            [-30.0, 2.0, 100.0],
        ]
    )
    # Rows 0, 2, 3 confidently right; rows 1, 5 confidently wrong at +-30/+-100; row 4 mixed.
    large_target = torch.tensor([1, 3, 3, 0, 1, 2])
    cases.append(
        loss_case(
            "ordinal",
            ordinal_loss,
            large_logits,
            large_target,
            {"note": "logits of +-30 and +-100, confidently right and wrong: needs the stable "
                     "max(z, 0) - z * y + log1p(exp(-|z|)) form; K = 4"},
        )
    )

    torch.manual_seed(342)
    logits = torch.randn(5, 2) * 1.5
    target = torch.tensor([0, 2, 1, 2, 0])
    cases.append(loss_case("ordinal", ordinal_loss, logits, target, {"note": note + "; K = 3"}))
    return cases


LOSS_CASE_MAKERS = [
    ("cross_entropy", cross_entropy_cases),
    ("bce", binary_cross_entropy_cases),
    ("bce_with_logits", binary_cross_entropy_with_logits_cases),
    ("regression", regression_cases),  # l1, mse, smooth_l1
    ("ordinal", ordinal_cases),
]


def make_losses(only_losses=None):
    """All cases; with only_losses (loss names), the stored cases of the other losses are kept as
    they are in losses.json and only the named losses' cases are computed (and written after them)."""
    cases = [case for _, maker in LOSS_CASE_MAKERS for case in maker()]
    if only_losses:
        unknown = set(only_losses) - {case["name"] for case in cases}
        if unknown:
            raise SystemExit(f"--loss: no cases for {sorted(unknown)}")
        stored = json.loads((FIXTURES_DIRECTORY / "losses.json").read_text())["cases"]
        cases = [case for case in stored if case["name"] not in only_losses] + [
            case for case in cases if case["name"] in only_losses
        ]
    write_fixture("losses.json", {"reduction": "mean", "cases": cases})


# ---------------------------------------------------------------------------
# batchnorm.json
# ---------------------------------------------------------------------------


def batchnorm_case(features, batch_size, seed, scale=1.0, shift=0.0):
    eps = 1e-5
    momentum = 0.1
    torch.manual_seed(seed)

    def sample(rows):
        return torch.randn(rows, features) * scale + shift

    x = sample(batch_size).requires_grad_(True)
    weight = torch.randn(features)
    bias = torch.randn(features)
    grad_output = torch.randn(batch_size, features)
    eval_x = sample(3)
    sequence_batches = [sample(batch_size) for _ in range(3)]

    layer = nn.BatchNorm1d(features, eps=eps, momentum=momentum)
    with torch.no_grad():
        layer.weight.copy_(weight)
        layer.bias.copy_(bias)
    layer.train()
    output = layer(x)
    (output * grad_output).sum().backward()
    train = {
        "output": to_list(output),
        "grad_input": to_list(x.grad),
        "grad_weight": to_list(layer.weight.grad),
        "grad_bias": to_list(layer.bias.grad),
        "running_mean": to_list(layer.running_mean),
        "running_var": to_list(layer.running_var),
        "num_batches_tracked": int(layer.num_batches_tracked.item()),
    }

    layer.eval()
    with torch.no_grad():
        eval_output = layer(eval_x)

    fresh_layer = nn.BatchNorm1d(features, eps=eps, momentum=momentum)
    fresh_layer.train()
    with torch.no_grad():
        for batch in sequence_batches:
            fresh_layer(batch)

    return {
        "features": features,
        "eps": eps,
        "momentum": momentum,
        "x": to_list(x),
        "weight": to_list(weight),
        "bias": to_list(bias),
        "grad_output": to_list(grad_output),
        "train": train,
        "eval": {"x": to_list(eval_x), "output": to_list(eval_output)},
        "sequence": {
            "batches": [to_list(batch) for batch in sequence_batches],
            "running_mean": to_list(fresh_layer.running_mean),
            "running_var": to_list(fresh_layer.running_var),
        },
    }


def make_batchnorm():
    cases = [
        batchnorm_case(features=3, batch_size=4, seed=401),
        batchnorm_case(features=5, batch_size=2, seed=402),  # the minimum batch
        batchnorm_case(features=8, batch_size=16, seed=403, scale=10.0, shift=3.0),
    ]
    note = (
        "Training normalises with the biased batch variance; running_var is "
        "updated with the unbiased (n-1) batch variance: "
        "running = (1 - momentum) * running + momentum * batch_statistic."
    )
    write_fixture("batchnorm.json", {"note": note, "cases": cases})


# ---------------------------------------------------------------------------
# optimizers.json
# ---------------------------------------------------------------------------

OPTIMIZER_CLASSES = {
    "sgd": torch.optim.SGD,
    "adagrad": torch.optim.Adagrad,
    "rmsprop": torch.optim.RMSprop,
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
}

OPTIMIZER_CASES = [
    ("sgd", "sgd", {"lr": 0.1}),
    ("sgd_weight_decay", "sgd", {"lr": 0.1, "weight_decay": 0.01}),
    ("sgd_momentum", "sgd", {"lr": 0.1, "momentum": 0.9}),
    ("sgd_momentum_dampening", "sgd", {"lr": 0.1, "momentum": 0.9, "dampening": 0.9}),
    ("sgd_nesterov", "sgd", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    ("sgd_momentum_weight_decay", "sgd", {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.01}),
    ("adagrad", "adagrad", {"lr": 0.1}),
    ("adagrad_weight_decay", "adagrad", {"lr": 0.1, "weight_decay": 0.01}),
    ("rmsprop", "rmsprop", {"lr": 0.01}),
    ("rmsprop_alpha_weight_decay", "rmsprop", {"lr": 0.01, "alpha": 0.9, "weight_decay": 0.01}),
    ("rmsprop_momentum", "rmsprop", {"lr": 0.01, "momentum": 0.9}),
    ("adam", "adam", {"lr": 0.01}),
    ("adam_weight_decay", "adam", {"lr": 0.01, "weight_decay": 0.01}),
    ("adam_betas_0.9_0.99", "adam", {"lr": 0.01, "betas": [0.9, 0.99]}),
    ("adamw", "adamw", {"lr": 0.01}),
    ("adamw_weight_decay", "adamw", {"lr": 0.01, "weight_decay": 0.1}),
]

OPTIMIZER_STEPS = 10


def make_small_network():
    return nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))


def parameter_values(model):
    return {name: to_list(parameter) for name, parameter in model.named_parameters()}


def resolved_options(optimizer):
    """Every hyper-parameter of the (single) parameter group, defaults included."""
    group = optimizer.param_groups[0]
    options = {}
    for key, value in group.items():
        if key == "params" or value is None:
            continue
        if isinstance(value, tuple):
            value = list(value)
        if isinstance(value, torch.Tensor):
            value = to_list(value)
        options[key] = value
    return options


def optimizer_case(name, optimizer_name, options, initial_state, x, target):
    model = make_small_network()
    model.load_state_dict(initial_state)
    keyword_arguments = dict(options)
    if "betas" in keyword_arguments:
        keyword_arguments["betas"] = tuple(keyword_arguments["betas"])
    optimizer = OPTIMIZER_CLASSES[optimizer_name](model.parameters(), **keyword_arguments)
    loss_function = nn.CrossEntropyLoss()
    losses = []
    for _ in range(OPTIMIZER_STEPS):
        optimizer.zero_grad()
        loss = loss_function(model(x), target)
        losses.append(to_scalar(loss))
        loss.backward()
        optimizer.step()
    return {
        "name": name,
        "optimizer": optimizer_name,
        "options": options,
        "resolved_options": resolved_options(optimizer),
        "steps": OPTIMIZER_STEPS,
        "losses": losses,
        "final": parameter_values(model),
    }


def make_optimizers():
    torch.manual_seed(501)
    model = make_small_network()
    x = torch.randn(6, 4)
    target = torch.tensor([0, 1, 1, 0, 1, 0])
    initial_state = {name: tensor.clone() for name, tensor in model.state_dict().items()}
    cases = [
        optimizer_case(name, optimizer_name, options, initial_state, x, target)
        for name, optimizer_name, options in OPTIMIZER_CASES
    ]
    network = {
        "layers": "Sequential(Linear(4,3), ReLU(), Linear(3,2)); loss CrossEntropyLoss (mean)",
        "initial": parameter_values(model),
        "x": to_list(x),
        "target": to_list(target),
    }
    note = (
        "options lists only the keyword arguments passed to the PyTorch "
        "constructor; resolved_options is the full parameter group including "
        "PyTorch's defaults. losses[i] is the loss before step i."
    )
    write_fixture("optimizers.json", {"note": note, "network": network, "cases": cases})


# ---------------------------------------------------------------------------
# schedules.json
# ---------------------------------------------------------------------------

SCHEDULE_CASES = [
    ("constant", None, {}),
    ("step_7_0.5", "StepLR", {"step_size": 7, "gamma": 0.5}),
    ("step_1_0.9", "StepLR", {"step_size": 1, "gamma": 0.9}),
    ("multistep", "MultiStepLR", {"milestones": [5, 12, 20], "gamma": 0.1}),
    ("exponential", "ExponentialLR", {"gamma": 0.9}),
    ("cosine_30", "CosineAnnealingLR", {"T_max": 30, "eta_min": 1e-4}),
    ("cosine_10_past_t_max", "CosineAnnealingLR", {"T_max": 10, "eta_min": 0.0}),
    ("linear_warmup", "LinearLR", {"start_factor": 0.1, "end_factor": 1.0, "total_iters": 5}),
]

SCHEDULE_EPOCHS = 30
BASE_LEARNING_RATE = 0.1


def schedule_case(name, scheduler_name, options):
    parameter = nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([parameter], lr=BASE_LEARNING_RATE)
    scheduler = None
    if scheduler_name is not None:
        scheduler_class = getattr(torch.optim.lr_scheduler, scheduler_name)
        scheduler = scheduler_class(optimizer, **options)
    learning_rates = []
    for _ in range(SCHEDULE_EPOCHS):
        learning_rates.append(float(optimizer.param_groups[0]["lr"]))
        optimizer.step()  # keeps PyTorch's "step order" check quiet
        if scheduler is not None:
            scheduler.step()
    case = {
        "name": name,
        "scheduler": scheduler_name,
        "options": options,
        "base_lr": BASE_LEARNING_RATE,
        "epochs": SCHEDULE_EPOCHS,
        "lrs": learning_rates,
    }
    if name == "cosine_10_past_t_max":
        case["note"] = (
            "runs past T_max: PyTorch's cosine keeps following the cosine "
            "(it rises again after epoch T_max); values recorded as torch gives them"
        )
    return case


def make_schedules():
    cases = [schedule_case(*arguments) for arguments in SCHEDULE_CASES]
    note = (
        "lrs[e] is optimizer.param_groups[0]['lr'] during epoch e; scheduler.step() "
        "is called once at the end of every epoch. scheduler null means a constant lr."
    )
    write_fixture("schedules.json", {"note": note, "cases": cases})


# ---------------------------------------------------------------------------
# summary.json
# ---------------------------------------------------------------------------


def summary_case(name, model, batch_size, input_features):
    rows = []

    def record_row(module, inputs, output):
        parameter_count = 0
        for attribute in ("weight", "bias"):
            tensor = getattr(module, attribute, None)
            if isinstance(tensor, torch.Tensor):
                parameter_count += tensor.numel()
        rows.append(
            {
                "type": type(module).__name__,
                "output_shape": list(output.shape),
                "params": parameter_count,
            }
        )

    leaf_modules = [module for module in model.modules() if not list(module.children())]
    handles = [module.register_forward_hook(record_row) for module in leaf_modules]
    torch.manual_seed(601)
    with torch.no_grad():
        model(torch.randn(batch_size, input_features))
    for handle in handles:
        handle.remove()

    parameters = list(model.parameters())
    return {
        "name": name,
        "batch_size": batch_size,
        "input_features": input_features,
        "rows": rows,
        "total_params": sum(parameter.numel() for parameter in parameters),
        "trainable_params": sum(p.numel() for p in parameters if p.requires_grad),
        "non_trainable_params": sum(p.numel() for p in parameters if not p.requires_grad),
        "buffers": sum(buffer.numel() for buffer in model.buffers()),
    }


def make_summary():
    torch.manual_seed(602)
    founding_example = nn.Sequential(
        nn.Linear(3, 3), nn.Sigmoid(), nn.Linear(3, 2), nn.ReLU(), nn.Linear(2, 2)
    )
    batchnorm_example = nn.Sequential(
        nn.Linear(20, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Dropout(0.2), nn.Linear(16, 4)
    )
    cases = [
        summary_case("founding_example", founding_example, batch_size=5, input_features=3),
        summary_case("batchnorm_dropout", batchnorm_example, batch_size=32, input_features=20),
    ]
    assert [row["params"] for row in cases[0]["rows"]] == [12, 0, 8, 0, 6]
    assert cases[0]["total_params"] == 26
    write_fixture("summary.json", {"cases": cases})


# ---------------------------------------------------------------------------
# network.json
# ---------------------------------------------------------------------------


def make_network():
    torch.manual_seed(701)
    model = nn.Sequential(
        nn.Linear(5, 6),
        nn.BatchNorm1d(6),
        nn.Tanh(),
        nn.Linear(6, 4),
        nn.BatchNorm1d(4),
        nn.ReLU(),
        nn.Linear(4, 3),
    )
    # Non-trivial BatchNorm affine parameters (defaults are 1 and 0).
    with torch.no_grad():
        for index in (1, 4):
            model[index].weight.copy_(1.0 + 0.5 * torch.randn_like(model[index].weight))
            model[index].bias.copy_(0.5 * torch.randn_like(model[index].bias))
    x = torch.randn(8, 5)
    target = torch.randint(0, 3, (8,))
    state = {name: to_list(tensor) for name, tensor in model.state_dict().items()}

    model.train()
    logits = model(x)
    loss = nn.CrossEntropyLoss()(logits, target)
    loss.backward()

    running_after = {
        name: to_list(tensor)
        for name, tensor in model.state_dict().items()
        if "running_mean" in name or "running_var" in name
    }
    content = {
        "layers": (
            "Sequential(Linear(5,6), BatchNorm1d(6), Tanh(), Linear(6,4), "
            "BatchNorm1d(4), ReLU(), Linear(4,3)); train mode; CrossEntropyLoss (mean)"
        ),
        "state": state,
        "x": to_list(x),
        "target": to_list(target),
        "logits": to_list(logits),
        "loss": to_scalar(loss),
        "grads": {name: to_list(parameter.grad) for name, parameter in model.named_parameters()},
        "running_after": running_after,
    }
    write_fixture("network.json", content)


# ---------------------------------------------------------------------------
# ordinal.json
# ---------------------------------------------------------------------------


class OrdinalThresholds(nn.Module):
    """The ordinal head's K-1 thresholds: forward(x) = x + bias, x [N, 1] -> [N, K-1]."""

    def __init__(self, classes):
        super().__init__()
        self.bias = nn.Parameter(ordinal_initial_thresholds(classes))

    def forward(self, x):
        return x + self.bias


def ordinal_initial_thresholds(classes):
    """coral-pytorch's initial thresholds: (K-1, ..., 1) / (K-1)."""
    return torch.arange(classes - 1, 0, -1).float() / (classes - 1)


def shaped(tensor):
    return {"shape": list(tensor.shape), "values": to_list(tensor)}


def make_ordinal():
    classes = 4
    torch.manual_seed(801)
    model = nn.Sequential(nn.Linear(5, 3), nn.Tanh(), nn.Linear(3, 1), OrdinalThresholds(classes))
    initial = to_list(model[3].bias)
    # Thresholds other than the initial ones, and the output Linear's default weights times 4, so
    # that the rows' scores cross several thresholds and every class is predicted by some row.
    with torch.no_grad():
        model[3].bias.copy_(torch.tensor([1.6, 0.1, -1.2]))
        model[2].weight.mul_(4.0)
    x = torch.randn(6, 5)
    target = torch.tensor([0, 1, 2, 3, 3, 1])
    state = {name: shaped(tensor) for name, tensor in model.state_dict().items()}
    assert sorted(state) == ["0.bias", "0.weight", "2.bias", "2.weight", "3.bias"]

    logits = model(x)
    probabilities = ordinal_probabilities(logits)
    loss = ordinal_loss(logits, target)
    loss.backward()
    top2 = probabilities.detach().topk(2, dim=1).values
    assert ((top2[:, 0] - top2[:, 1]) > 1e-2).all(), "argmax must not be a near tie"
    assert sorted(set(probabilities.argmax(dim=1).tolist())) == [0, 1, 2, 3]

    content = {
        "layers": (
            "Sequential(Linear(5,3), Tanh(), Linear(3,1), OrdinalThresholds(K=4)) from seed 801 "
            "(Linear(3,1)'s default weights times 4, thresholds set to [1.6, 0.1, -1.2]); "
            "OrdinalThresholds holds one parameter 'bias' [K-1] and returns x + bias "
            "([N,1] -> [N,K-1]); train mode; ordinal (CORAL) loss (mean over rows)"
        ),
        "classes": classes,
        "initial_thresholds": initial,
        "state": state,
        "x": to_list(x),
        "target": to_list(target),
        "logits": to_list(logits),
        "probabilities": to_list(probabilities),
        "predicted": to_list(probabilities.argmax(dim=1)),
        "loss": to_scalar(loss),
        "grads": {name: shaped(parameter.grad) for name, parameter in model.named_parameters()},
        "note": (
            "initial_thresholds is what the engine sets before training, "
            "arange(K-1, 0, -1) / (K-1); state holds other thresholds so the test "
            "does not depend on the initialisation. probabilities: c_k = sigmoid(z_k), "
            "P(0) = 1 - c_0, P(k) = c_(k-1) - c_k, P(K-1) = c_(K-2), no clamping; "
            "predicted = first argmax. loss = mean over rows of sum over k of "
            "BCEWithLogits(z_k, [target > k]); grads are parameter.grad after loss.backward()."
        ),
    }
    write_fixture("ordinal.json", content)


# ---------------------------------------------------------------------------


def main():
    makers = {
        "layers": make_layers,
        "losses": make_losses,
        "batchnorm": make_batchnorm,
        "optimizers": make_optimizers,
        "schedules": make_schedules,
        "summary": make_summary,
        "network": make_network,
        "ordinal": make_ordinal,
    }
    parser = argparse.ArgumentParser(description="Write the PyTorch golden fixtures.")
    parser.add_argument(
        "fixtures", nargs="*", metavar="FIXTURE",
        help=f"the fixtures to write, of {', '.join(makers)} (default: all of them)",
    )
    parser.add_argument(
        "--loss", action="append", default=None, metavar="NAME",
        help="losses.json: recompute only this loss's cases (repeatable), keep the stored others",
    )
    arguments = parser.parse_args()
    unknown = sorted(set(arguments.fixtures) - set(makers))
    if unknown:
        parser.error(f"unknown fixtures {unknown} (expected some of {', '.join(makers)})")
    if arguments.loss and arguments.fixtures and "losses" not in arguments.fixtures:
        parser.error("--loss is about losses.json: name the losses fixture too")
    torch.set_num_threads(1)
    torch.set_default_dtype(torch.float32)
    torch.use_deterministic_algorithms(True)
    FIXTURES_DIRECTORY.mkdir(parents=True, exist_ok=True)
    for name, maker in makers.items():
        if arguments.fixtures and name not in arguments.fixtures:
            continue
        if name == "losses":
            maker(arguments.loss)
        else:
            maker()


if __name__ == "__main__":
    main()
