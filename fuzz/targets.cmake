# One line per fuzz target; ocs_fuzz skips a target until the modules it links exist.
# Parsers (stateless):
ocs_fuzz(fuzz_der SOURCES targets/fuzz_der.cpp LIBS ocs_asn1)
ocs_fuzz(fuzz_tsrequest SOURCES targets/fuzz_tsrequest.cpp LIBS ocs_credssp)
ocs_fuzz(fuzz_tscredentials SOURCES targets/fuzz_tscredentials.cpp LIBS ocs_credssp)
