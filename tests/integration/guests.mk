# Tiny test guests: assembled with gcc, linked as ELF with a PVH note.
GUEST_SRCS  := $(wildcard tests/integration/guests/*.S)
TEST_GUESTS := $(GUEST_SRCS:tests/integration/guests/%.S=$(BUILD)/guests/%.elf) \
               $(BUILD)/guests/hello32.elf

$(BUILD)/guests/%.o: tests/integration/guests/%.S $(wildcard tests/integration/guests/*.h)
	@mkdir -p $(dir $@)
	$(CC) -c -nostdlib -ffreestanding -Itests/integration/guests -o $@ $<

$(BUILD)/guests/%.elf: $(BUILD)/guests/%.o tests/integration/guests/guest.ld
	ld -m elf_x86_64 -nostdlib -static -T tests/integration/guests/guest.ld -o $@ $<

# The same guest as an ELF32 PVH image (as some PVH kernels ship).
$(BUILD)/guests/hello32.elf: $(BUILD)/guests/hello.elf
	objcopy -O elf32-i386 $< $@ 2>/dev/null
