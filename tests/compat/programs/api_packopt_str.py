"""str() of PacketOptions, documented as "representation of object attributes for
debugging purpose", as a handler prints it.

osc4py3 bug: str(PacketOptions()) raises AttributeError: two names in its attribute list
    lack a comma between them (``'chantarget' 'nodelay'``, oscpacketoptions.py:86-87), so
    it looks up an attribute "chantargetnodelay". Expected output: the text names the
    attributes with their values.
"""

from osc4py3.oscpacketoptions import PacketOptions

po = PacketOptions()
po.readername = "myreader"
try:
    text = str(po)
except AttributeError:
    text = "AttributeError"
print("starts with PacketOptions(:", text.startswith("PacketOptions("), flush=True)
for name in ("honor_timetag=", "readername=", "nodelay=", "chantarget=", "myreader"):
    print(name, "in it:", name in text, flush=True)
