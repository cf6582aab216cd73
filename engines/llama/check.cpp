// llama-grammar-check: what llama.cpp's server does with a JSON Schema, without a model.
//
// Reads a JSON Schema (one line) from stdin, converts it to a GBNF grammar with llama.cpp's
// `json_schema_to_grammar` (common/json-schema-to-grammar.cpp, what the server runs for
// `response_format` / `json_schema`), parses that grammar with `llama_grammar_init_impl`
// (src/llama-grammar.cpp, the sampler's grammar), then reads candidate texts, one per line, and
// feeds each to a fresh grammar one code point at a time.
//
// Output, one line each:
//   first:         `OK` when the schema converts and the grammar parses, else `ERROR <message>`
//   per candidate: `ACCEPT`, or `REJECT <why>`
// With `--grammar`, the GBNF is printed to stderr too.
//
// Built by scripts/llama-grammar-check against llama.cpp's sources (never committed here);
// used by engines/tests/engines.rs when INSTRUCTOR_LLAMA_GRAMMAR_CHECK names the binary.

#include "json-schema-to-grammar.h"
#include "json.h"
#include "llama-grammar.h"

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>

// GGML_ASSERT's failure path. The real one is in ggml/src/ggml.c, with the whole tensor library
// (and a header cmake generates); the converter only needs it to report a broken invariant.
extern "C" void ggml_abort(const char * file, int line, const char * fmt, ...) {
    std::fprintf(stderr, "%s:%d: ", file, line);
    va_list args;
    va_start(args, fmt);
    std::vfprintf(stderr, fmt, args);
    va_end(args);
    std::fprintf(stderr, "\n");
    std::abort();
}

static std::string one_line(std::string s) {
    for (char & c : s) {
        if (c == '\n' || c == '\r') {
            c = ' ';
        }
    }
    return s;
}

// The length in bytes of the UTF-8 sequence that starts with `b` (1 for a stray byte).
static size_t utf8_len(unsigned char b) {
    if (b >= 0xF0) {
        return 4;
    }
    if (b >= 0xE0) {
        return 3;
    }
    if (b >= 0xC0) {
        return 2;
    }
    return 1;
}

// Feeds `text` to a new grammar built from `gbnf`; empty when the grammar can end right after
// it, else why not.
static std::string check(const std::string & gbnf, const std::string & text) {
    llama_grammar * grammar =
        llama_grammar_init_impl(nullptr, gbnf.c_str(), "root", false, nullptr, 0, nullptr, 0);
    if (grammar == nullptr) {
        return "the grammar does not parse";
    }
    std::string why;
    size_t i = 0;
    while (i < text.size()) {
        size_t n = utf8_len(static_cast<unsigned char>(text[i]));
        std::string piece = text.substr(i, n);
        try {
            llama_grammar_accept_token(*grammar, 0, piece);
        } catch (const std::exception & e) {
            why = "error after " + std::to_string(i) + " bytes: " + one_line(e.what());
            break;
        }
        if (llama_grammar_get_stacks(grammar).empty()) {
            why = "no way forward after " + std::to_string(i) + " bytes: " + text.substr(0, i);
            break;
        }
        i += n;
    }
    if (why.empty()) {
        bool done = false;
        for (const auto & stack : llama_grammar_get_stacks(grammar)) {
            done = done || stack.empty();
        }
        if (!done) {
            why = "the grammar cannot end here";
        }
    }
    llama_grammar_free_impl(grammar);
    return why;
}

int main(int argc, char ** argv) {
    bool print_grammar = argc > 1 && std::strcmp(argv[1], "--grammar") == 0;
    std::string schema_text;
    if (!std::getline(std::cin, schema_text)) {
        std::printf("ERROR no schema on stdin\n");
        return 2;
    }
    std::string gbnf;
    try {
        gbnf = json_schema_to_grammar(common_json::parse(schema_text));
    } catch (const std::exception & e) {
        std::printf("ERROR %s\n", one_line(e.what()).c_str());
        return 0;
    }
    if (print_grammar) {
        std::fprintf(stderr, "%s\n", gbnf.c_str());
    }
    llama_grammar * probe =
        llama_grammar_init_impl(nullptr, gbnf.c_str(), "root", false, nullptr, 0, nullptr, 0);
    if (probe == nullptr) {
        std::printf("ERROR the converted grammar does not parse\n");
        return 0;
    }
    llama_grammar_free_impl(probe);
    std::printf("OK\n");
    std::string text;
    while (std::getline(std::cin, text)) {
        std::string why = check(gbnf, text);
        if (why.empty()) {
            std::printf("ACCEPT\n");
        } else {
            std::printf("REJECT %s\n", one_line(why).c_str());
        }
    }
    return 0;
}
