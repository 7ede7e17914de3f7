-- Bump the hotel's view version after writes made outside a script (a MULTI of plain commands).
-- KEYS[1]: ver:{hotel}.
--#include view_version
bump_view_version(KEYS[1])
return 1
