# Writes OUT, a C++ file defining `std::string_view FUNCTION()` in NAMESPACE
# that returns the bytes of IN. Run with cmake -P (see src/http/CMakeLists.txt),
# so the file is re-embedded whenever it changes.
file(READ "${IN}" hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
file(WRITE "${OUT}" "// Generated from ${IN}; do not edit.\n#include <string_view>\nnamespace ${NAMESPACE} {\nnamespace {\nconstexpr unsigned char kBytes[] = {${bytes} 0};\n}  // namespace\nstd::string_view ${FUNCTION}() { return {reinterpret_cast<const char*>(kBytes), sizeof kBytes - 1}; }\n}  // namespace ${NAMESPACE}\n")
