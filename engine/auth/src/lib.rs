//! Client authentication (token, user/password, bcrypt, NKeys) and publish/subscribe permissions.
