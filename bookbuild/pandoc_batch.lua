-- Read a JSON list of Markdown texts on stdin; write the JSON list of their HTML.
-- One pandoc process for many files: pandoc's start-up costs more than a short chapter.
-- Reader and writer options here must match parse.PANDOC_FROM and PANDOC_ARGS; the
-- language's typography (typography.lua) is applied to each text as it is to a single file.
local typography = dofile(pandoc.path.join({pandoc.path.directory(arg[0]), "typography.lua"}))
local texts = pandoc.json.decode(io.read("a"), false)
local options = pandoc.WriterOptions({wrap_text = "wrap-none", highlight_method = "none"})
local html = {}
for i, text in ipairs(texts) do
  local doc = pandoc.read(text, typography.reader("markdown+wikilinks_title_after_pipe-yaml_metadata_block"))
  html[i] = pandoc.write(typography.apply(doc), "html5", options)
end
io.write(pandoc.json.encode(html))
