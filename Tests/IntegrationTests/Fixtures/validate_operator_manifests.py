"""Validates Prometheus Operator resources (PodMonitor, ServiceMonitor, PrometheusRule) against the
operator's own CRD schemas, as cloudcoil's generated models carry them: required fields, types and
patterns by pydantic, and, since those models let unknown keys through, every key checked against
the schema's field names so that a misspelt key fails as `kubectl apply` with strict field
validation would. Kinds of other API groups are left to kubernetes-validate.

    python validate_operator_manifests.py FILE...   exit 0 when every operator resource is valid
"""
import sys
import typing

import pydantic
import yaml
from cloudcoil.models.prometheus_operator import v1

KINDS = {"PodMonitor": v1.PodMonitor, "ServiceMonitor": v1.ServiceMonitor, "PrometheusRule": v1.PrometheusRule}


def model_of(annotation):
    """The pydantic model inside an annotation such as Optional[List[Model]], if any."""
    if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
        return annotation
    for argument in typing.get_args(annotation):
        found = model_of(argument)
        if found is not None:
            return found
    return None


def unknown_keys(model, value, path):
    """Keys of `value` that `model` does not define, with their paths."""
    problems = []
    if isinstance(value, list):
        for index, item in enumerate(value):
            problems += unknown_keys(model, item, f"{path}[{index}]")
        return problems
    if not isinstance(value, dict):
        return problems
    fields = {(field.alias or name): field for name, field in model.model_fields.items()}
    for key, item in value.items():
        field = fields.get(key)
        if field is None:
            problems.append(f"{path}.{key}: unknown field (known: {', '.join(sorted(fields))})")
            continue
        inner = model_of(field.annotation)
        if inner is not None:
            problems += unknown_keys(inner, item, f"{path}.{key}")
    return problems


def main(paths):
    failures = 0
    checked = 0
    for path in paths:
        with open(path) as file:
            documents = [document for document in yaml.safe_load_all(file) if document]
        for document in documents:
            if not str(document.get("apiVersion", "")).startswith("monitoring.coreos.com/"):
                continue
            kind = document.get("kind")
            name = f"{path}: {kind}/{document.get('metadata', {}).get('name')}"
            model = KINDS.get(kind)
            if model is None:
                print(f"FAIL {name}: no schema for this kind")
                failures += 1
                continue
            checked += 1
            problems = []
            try:
                model.model_validate(document)
            except pydantic.ValidationError as error:
                problems += [f"{'.'.join(str(part) for part in problem['loc'])}: {problem['msg']}" for problem in error.errors()]
            for key in ("metadata", "spec"):
                field = model.model_fields.get(key)
                if field is not None and key in document:
                    problems += unknown_keys(model_of(field.annotation), document[key], key)
            for problem in problems:
                print(f"FAIL {name}: {problem}")
            failures += bool(problems)
            if not problems:
                print(f"ok {name}")
    print(f"{checked} operator resources checked, {failures} invalid")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
