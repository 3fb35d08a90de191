// libbpf prints its diagnostics (including the verifier log) through one global callback.
// Capture it around a call so the text can travel with the error instead of stderr.
#pragma once
#include <string>

namespace weft {

class LibbpfLogCapture {
public:
	LibbpfLogCapture();
	~LibbpfLogCapture();
	std::string text() const;
};

void install_libbpf_logger();

} // namespace weft
