# One line per fuzz target; ocs_fuzz skips a target until the modules it links exist.
# Parsers (stateless):
ocs_fuzz(fuzz_der SOURCES targets/fuzz_der.cpp LIBS ocs_asn1)
