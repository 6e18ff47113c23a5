-- The typography of the book's language, applied to pandoc's document (words.Typography):
-- the quotation marks pandoc's smart quotes stand for (quotes typed curly are text, and
-- stay as typed), and the no-break spaces a language sets before some marks and inside
-- guillemets (French). The rules come as JSON in BOOKBUILD_TYPOGRAPHY; without it, nothing
-- changes. Used by pandoc_batch.lua, or alone as a --lua-filter.
local given = os.getenv("BOOKBUILD_TYPOGRAPHY")
local rules = given and given ~= "" and pandoc.json.decode(given, false) or nil

local M = {}

-- How pandoc reads the Markdown for these rules: without smart typography for a language
-- written without spaces (``paired`` below does its work).
function M.reader(format)
  if rules and rules.unspaced then
    return format .. "-smart"
  end
  return format
end

local function quoted(element)
  local q = rules.quotes
  local open, close = q[1], q[2]
  if element.quotetype == "SingleQuote" then
    open, close = q[3], q[4]
  end
  local out = pandoc.Inlines({pandoc.Str(open)})
  out:extend(element.content)
  out:insert(pandoc.Str(close))
  return out
end

-- A mark that takes a space before it (";", ":", "!", "?") opens this text, or "»" does.
local function opening_mark(text)
  local first = text:sub(1, 1)
  if rules.before[first] then
    return rules.before[first]
  end
  if text:sub(1, 2) == "\194\187" and rules.guillemets ~= "" then -- »
    return rules.guillemets
  end
  return nil
end

local GUILLEMET_OPEN, GUILLEMET_CLOSE = "\194\171", "\194\187" -- « »
local NBSP, NNBSP = "\194\160", "\226\128\175" -- U+00A0, U+202F

local function ends_with_space(text)
  return text == "" or text:match("%s$") or text:sub(-2) == NBSP or text:sub(-3) == NNBSP
      or text:sub(-1) == "/" or text:sub(-1) == "("
end

-- Inside one run of text: "mot:" becomes "mot\u00a0:" where the marks end the run (so
-- "10:30" and "https://" keep theirs); "«mot»" gets its narrow spaces.
local function spaced(text)
  local stem, marks = text:match("^(.-)([;:!?]+)$")
  if stem and not ends_with_space(stem) and rules.before[marks:sub(1, 1)] then
    text = stem .. rules.before[marks:sub(1, 1)] .. marks
  end
  if rules.guillemets ~= "" then
    local g = rules.guillemets
    text = text:gsub(GUILLEMET_OPEN .. "([^%s\194\226])", GUILLEMET_OPEN .. g .. "%1")
    text = text:gsub("([^%s\160\175])" .. GUILLEMET_CLOSE, "%1" .. g .. GUILLEMET_CLOSE)
  end
  return text
end

local function is_space(element)
  return element and (element.t == "Space" or element.t == "SoftBreak")
end

local function spacing(inlines)
  local out = pandoc.Inlines({})
  for _, element in ipairs(inlines) do
    local previous = out[#out]
    if element.t == "Str" then
      local space = opening_mark(element.text)
      if space and is_space(previous) then
        out[#out] = pandoc.Str(space) -- "mot :", "mot »": the space before the mark holds
      elseif space and previous and previous.t ~= "Str" and previous.t ~= "LineBreak" then
        out:insert(pandoc.Str(space)) -- "*mot*:": a space where the author wrote none
      end
      element.text = spaced(element.text)
      out:insert(element)
    elseif is_space(element) and rules.guillemets ~= "" and previous and previous.t == "Str"
        and previous.text:sub(-2) == GUILLEMET_OPEN then
      out:insert(pandoc.Str(rules.guillemets)) -- "« mot": the space after the guillemet holds
    else
      out:insert(element)
    end
  end
  return out
end

-- A language written without spaces (Japanese, Chinese) is read without pandoc's smart
-- typography, which tells an opening quote from a closing one by the space before it: each
-- block's straight quotes are paired here, in order ('s between two Latin letters is an
-- apostrophe), and "...", "---" and "--" become "…", "—" and "–", as smart typography makes them.
local function paired(block)
  local open = { ['"'] = false, ["'"] = false }
  local marks = { ['"'] = { rules.quotes[1], rules.quotes[2] }, ["'"] = { rules.quotes[3], rules.quotes[4] } }
  return block:walk({
    Str = function(element)
      local text = element.text:gsub("%.%.%.", "\226\128\166"):gsub("%-%-%-", "\226\128\148"):gsub("%-%-", "\226\128\147")
      local out, previous = {}, ""
      for at, char in utf8.codes(text) do
        local c = utf8.char(char)
        local following = text:sub(at + #c, at + #c)
        if c == "'" and previous:match("^%a$") and following:match("^%a$") then
          c = "\226\128\153" -- an apostrophe: ’
        elseif marks[c] then
          local quote = c
          c = open[quote] and marks[quote][2] or marks[quote][1]
          open[quote] = not open[quote]
        end
        out[#out + 1] = c
        previous = utf8.char(char)
      end
      element.text = table.concat(out)
      return element
    end,
  })
end

function M.apply(doc)
  if not rules then
    return doc
  end
  if rules.unspaced then
    doc = doc:walk({ Para = paired, Plain = paired, Header = paired })
  end
  doc = doc:walk({ Quoted = quoted })
  if next(rules.before) or rules.guillemets ~= "" then
    doc = doc:walk({ Inlines = spacing })
  end
  return doc
end

M[1] = { Pandoc = M.apply }
return M
