// A folder deeper down: `x` and `y` import each other (the check must find it too).
mod x;
mod y;
