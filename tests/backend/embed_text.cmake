# embed_text.cmake: writes the file IN into the header OUT as the string
# constant NAME (a raw string literal), so a test can read a source file
# where the source tree is absent (the GPU pack). cmake -DIN= -DOUT= -DNAME= -P
file(READ "${IN}" text)
file(WRITE "${OUT}.tmp" "// Generated from ${IN} by embed_text.cmake.\n#pragma once\n"
     "inline constexpr char ${NAME}[] = R\"xfer_embed(${text})xfer_embed\";\n")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUT}.tmp")
