// The article body's rich-text editor (django-prose-editor's ProseMirror build), limited
// to the blocks the renderers read: see editorial/admin/body_editor.py. Imported by a
// relative URL, so the page needs no inline import map (its CSP allows static scripts only).
import {
  Bold,
  BulletList,
  Document,
  Dropcursor,
  Editor,
  Gapcursor,
  HardBreak,
  Heading,
  History,
  Italic,
  Link,
  ListItem,
  Menu,
  Node,
  OrderedList,
  Paragraph,
  Subscript,
  Superscript,
  Table,
  TableCell,
  TableHeader,
  TableRow,
  Text,
} from "../django_prose_editor/editor.js";

const messages = window.bodyEditorMessages || {};
const t = (text) => (Object.prototype.hasOwnProperty.call(messages, text) ? messages[text] : text);
const FIGURE_CLASS = /\bfigure-(\d+)\b/;

// <p class="kicker">: the short line set above a subheading. Other classes are dropped.
const BodyParagraph = Paragraph.extend({
  addAttributes() {
    return {
      kicker: {
        default: false,
        parseHTML: (element) => element.classList.contains("kicker"),
        renderHTML: (attributes) => (attributes.kicker ? { class: "kicker" } : {}),
      },
    };
  },
});

// <figure class="figure-N"></figure>: where the article's figure N stands. The figure
// itself (image, caption, source) is edited in the figures below the form; here it can
// be moved or removed as a whole, not typed into.
const FigurePlaceholder = Node.create({
  name: "figurePlaceholder",
  group: "block",
  atom: true,
  selectable: true,
  draggable: true,
  addAttributes() {
    return {
      position: {
        default: null,
        parseHTML: (element) => {
          const match = FIGURE_CLASS.exec(element.getAttribute("class") || "");
          return match ? Number(match[1]) : null;
        },
        renderHTML: () => ({}),
      },
    };
  },
  parseHTML() {
    return [
      {
        tag: "figure",
        getAttrs: (element) => (FIGURE_CLASS.test(element.getAttribute("class") || "") ? null : false),
      },
    ];
  },
  renderHTML({ node }) {
    return ["figure", { class: `figure-${node.attrs.position}` }];
  },
  addNodeView() {
    return ({ node }) => {
      const dom = document.createElement("figure");
      dom.className = "body-editor-figure";
      dom.setAttribute("contenteditable", "false");
      dom.textContent = t("Figure %(position)s").replace("%(position)s", node.attrs.position);
      return { dom };
    };
  },
});

const EXTENSIONS = [
  Document,
  Text,
  BodyParagraph,
  HardBreak,
  Heading.configure({ levels: [3, 4] }),
  Bold,
  Italic,
  Superscript,
  Subscript,
  BulletList,
  OrderedList,
  ListItem,
  Link.configure({ openOnClick: false, enableTarget: false, protocols: ["http", "https", "mailto"] }),
  Table.configure({ resizable: false }),
  TableRow,
  TableHeader,
  TableCell,
  FigurePlaceholder,
  History,
  Dropcursor,
  Gapcursor,
  Menu,
];

const HEADING_LABELS = { 3: "Subheading", 4: "Minor subheading" };

function translated(value) {
  const level = /^heading ?(\d)$/i.exec(value);
  return level ? t(HEADING_LABELS[level[1]] || value) : t(value);
}

function translateMenu(root) {
  // Labels written as text (the block-type menu: "Heading 3", "Paragraph"), not the
  // icon names of the buttons and not the text being edited.
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (node.parentElement.closest("[contenteditable=true], .material-icons")) continue;
    const value = node.nodeValue.trim();
    const text = value ? translated(value) : value;
    if (text !== value) node.nodeValue = text;
  }
  for (const element of root.querySelectorAll(".prose-menubar [title], .prose-menubar [aria-label]")) {
    for (const name of ["title", "aria-label"]) {
      const value = element.getAttribute(name);
      if (!value) continue;
      const text = translated(value);
      if (text !== value) element.setAttribute(name, text);
    }
  }
}

function createBodyEditor(textarea) {
  if (textarea.closest(".prose-editor")) return null;
  const disabled = textarea.hasAttribute("disabled");
  const wrapper = document.createElement("div");
  wrapper.className = `prose-editor${disabled ? " disabled" : ""}`;
  textarea.before(wrapper);
  wrapper.append(textarea);
  const editor = new Editor({
    element: wrapper,
    editable: !disabled,
    extensions: EXTENSIONS,
    content: textarea.value,
    // Tiptap's own <style> would be an inline style; its rules are in body_editor.css.
    injectCSS: false,
    onUpdate({ editor: current }) {
      const html = current.getHTML();
      textarea.value = /^<(\w+)(\s[^>]*)?><\/\1>$/i.test(html) ? "" : html;
      textarea.dispatchEvent(new Event("input", { bubbles: true }));
    },
  });
  translateMenu(wrapper);
  textarea.dispatchEvent(
    new CustomEvent("body-editor:ready", { detail: { editor, textarea }, bubbles: true }),
  );
  return editor;
}

for (const textarea of document.querySelectorAll("textarea[data-body-editor]")) {
  createBodyEditor(textarea);
}
