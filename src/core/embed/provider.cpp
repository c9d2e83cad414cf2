// Provider selection and the in-process built-in provider. See provider.hpp.
#include "embed/provider.hpp"

#include <string>
#include <utility>

#include "embed/http_provider.hpp"
#include "embed/lexical_embedder.hpp"

namespace rushdb::embed {

namespace {

constexpr std::string_view kBuiltinPrefix = "builtin-";

bool starts_with(std::string_view s, std::string_view prefix) noexcept {
    return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

class BuiltinProvider final : public Provider {
public:
    BuiltinProvider(std::string model_key, std::size_t dimensions)
        : model_key_(std::move(model_key)), embedder_(dimensions) {}

    const std::string& model_key() const noexcept override { return model_key_; }
    std::size_t dimensions() const noexcept override { return embedder_.dimensions(); }

    std::vector<std::vector<float>> embed(const std::vector<std::string>& texts) override {
        std::vector<std::vector<float>> out;
        out.reserve(texts.size());
        for (const std::string& text : texts) {
            std::vector<float> v(embedder_.dimensions());
            embedder_.embed(text, v.data());
            out.push_back(std::move(v));
        }
        return out;
    }

private:
    std::string model_key_;
    LexicalEmbedder embedder_;
};

}  // namespace

bool is_builtin_model(std::string_view model_key) noexcept { return model_key == LexicalEmbedder::kModelKey; }

std::unique_ptr<Provider> make_provider(const std::string& model_key, std::size_t dimensions,
                                        const ProviderSettings& settings) {
    // Both kinds share the limit: the index stores what the provider returns,
    // and an HTTP model asked for more would be rejected at the first batch
    // anyway; failing here names the setting instead.
    if (dimensions < LexicalEmbedder::kMinDimensions || dimensions > LexicalEmbedder::kMaxDimensions)
        throw ProviderError(ProviderErrorKind::configuration,
                            "embedding dimensions must be between " + std::to_string(LexicalEmbedder::kMinDimensions) +
                                " and " + std::to_string(LexicalEmbedder::kMaxDimensions) + ", not " +
                                std::to_string(dimensions));
    if (is_builtin_model(model_key)) return std::make_unique<BuiltinProvider>(model_key, dimensions);
    // The "builtin-" namespace is reserved: sending such a key to a remote
    // server would hide a typo behind a confusing HTTP error (or none at all,
    // if the server ignores the model name).
    if (starts_with(model_key, kBuiltinPrefix))
        throw ProviderError(ProviderErrorKind::configuration, "unknown built-in embedding model \"" + model_key +
                                                                  "\": the built-in model is \"" +
                                                                  LexicalEmbedder::kModelKey + "\"");
    if (model_key.empty()) throw ProviderError(ProviderErrorKind::configuration, "the embedding model name is empty");
    return std::make_unique<HttpProvider>(model_key, dimensions, settings);
}

}  // namespace rushdb::embed
