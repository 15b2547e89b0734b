//! Element-wise math: `abs ceil floor exp sqrt ln log2 log10 sgn deg rad`, trigonometric and hyperbolic functions,
//! `clamp`, `clamp_min`, `clamp_max`, `round`. All drop the metric name.
//! See <https://prometheus.io/docs/prometheus/2.42/querying/functions/#math-functions>.
//!
//! Must not: use Rust's `f64::max`/`min` (they ignore NaN; Go's propagate it).

use promql_parser::parser::Expr;

use super::super::EvalError;
use super::super::eval::Evaluator;
use super::super::numeric::{go_max, go_min};
use super::super::value::Sample;
use super::{arg, map_values};

/// The element-wise function called `name`, if it is one.
pub(crate) fn simple_function(name: &str) -> Option<fn(f64) -> f64> {
    Some(match name {
        "abs" => f64::abs,
        "ceil" => f64::ceil,
        "floor" => f64::floor,
        "exp" => f64::exp,
        "sqrt" => f64::sqrt,
        "ln" => f64::ln,
        "log2" => f64::log2,
        "log10" => f64::log10,
        "sin" => f64::sin,
        "cos" => f64::cos,
        "tan" => f64::tan,
        "asin" => f64::asin,
        "acos" => f64::acos,
        "atan" => f64::atan,
        "sinh" => f64::sinh,
        "cosh" => f64::cosh,
        "tanh" => f64::tanh,
        "asinh" => f64::asinh,
        "acosh" => f64::acosh,
        "atanh" => f64::atanh,
        "rad" => |v| v * std::f64::consts::PI / 180.0,
        "deg" => |v| v * 180.0 / std::f64::consts::PI,
        "sgn" => |v| {
            if v < 0.0 {
                -1.0
            } else if v > 0.0 {
                1.0
            } else {
                v
            }
        },
        _ => return None,
    })
}

/// `clamp(v, min, max)`, `clamp_min(v, min)`, `clamp_max(v, max)`, `round(v, to_nearest=1)`.
pub(crate) fn clamp_round(
    ev: &Evaluator<'_>,
    name: &str,
    args: &[&Expr],
    ts: i64,
) -> Result<Vec<Sample>, EvalError> {
    let vec = ev.eval_vector(arg(args, 0)?, ts)?;
    let p1 = match args.get(1) {
        Some(a) => ev.eval_scalar(a, ts)?,
        None => 1.0,
    };
    Ok(match name {
        "clamp" => {
            let max = ev.eval_scalar(arg(args, 2)?, ts)?;
            if max < p1 {
                return Ok(Vec::new());
            }
            map_values(vec, |v| go_max(p1, go_min(max, v)))
        }
        "clamp_min" => map_values(vec, |v| go_max(p1, v)),
        "clamp_max" => map_values(vec, |v| go_min(p1, v)),
        _ => {
            let inverse = 1.0 / p1;
            map_values(vec, |v| (v * inverse + 0.5).floor() / inverse)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sgn_keeps_nan_and_signed_zero() {
        let sgn = simple_function("sgn").unwrap();
        assert!(sgn(f64::NAN).is_nan());
        assert!(sgn(-0.0).is_sign_negative());
        assert_eq!(sgn(-3.0), -1.0);
    }
}
