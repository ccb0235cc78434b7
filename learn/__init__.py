"""Structure and parameter learning in JAX; imported only by training commands."""
