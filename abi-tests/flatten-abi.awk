# Flatten the Rust modules of the ffi crate in an abidw dump.
#
# DWARF names a Rust type or function by its module path
# (sandlock::handler::registrations::sandlock_handler_registration_t), and
# abidiff compares those qualified names. C sees none of them: moving a
# repr(C) type or an export to another module changes no byte of the ABI,
# yet abidiff reports it as a changed type. This drops the namespaces nested
# inside the crate's top-level `sandlock` namespace, so every C type and
# function is named sandlock::NAME in both dumps and only real changes
# (sizes, members, their offsets and types, parameters) remain. Other crates'
# namespaces are left as they are. abidw writes one tag per line.
/^ *<namespace-decl name='[^']*'>$/ {
    name = $0
    sub(/^ *<namespace-decl name='/, "", name)
    sub(/'>$/, "", name)
    depth++
    if (depth == 1) { in_ffi = (name == "sandlock") }
    if (depth > 1 && in_ffi) { next }
    print
    next
}
/^ *<\/namespace-decl>$/ {
    depth--
    if (depth >= 1 && in_ffi) { next }
    if (depth == 0) { in_ffi = 0 }
    print
    next
}
{ print }
