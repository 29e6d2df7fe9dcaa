# Stand-in for NVlabs/edm's torch_utils/persistence.py: its presence marks this folder as an EDM checkout for
# tools/import-edm.py. (The real module embeds the network's source in the pickle; plain pickling by class path
# needs the checkout on sys.path just the same.)
