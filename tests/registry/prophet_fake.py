"""A one-series Prophet estimator storing itself as JSON (prophet.serialize), as the demand model must."""

from __future__ import annotations

import logging

from sklearn.base import BaseEstimator


class OneSeries(BaseEstimator):
    def __init__(self, *, yearly=False):
        self.yearly = yearly

    def fit(self, frame, y=None):
        from prophet import Prophet

        logging.getLogger("cmdstanpy").setLevel(logging.WARNING)
        self.prophet_ = Prophet(yearly_seasonality=self.yearly, weekly_seasonality=False,
                                daily_seasonality=False, uncertainty_samples=0).fit(frame)
        return self

    def predict(self, future):
        return self.prophet_.predict(future)["yhat"].to_numpy()

    def to_json(self) -> str:
        import json

        from prophet.serialize import model_to_json

        return json.dumps({"params": self.get_params(), "prophet": model_to_json(self.prophet_)})

    @classmethod
    def from_json(cls, text: str) -> "OneSeries":
        import json

        from prophet.serialize import model_from_json

        payload = json.loads(text)
        obj = cls(**payload["params"])
        obj.prophet_ = model_from_json(payload["prophet"])
        return obj
