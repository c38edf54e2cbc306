# Output built to attack a terminal, printed by a container in the
# end-to-end test (ui/e2e): a clipboard write (OSC 52), a hidden link
# (OSC 8), a screen clear, a carriage return forging a line, C1 controls
# (encoded and a lone 0x9C byte), invalid UTF-8 and a 1 MiB line. Each
# carries a marker the test looks for raw in what berth wrote.
printf 'osc52 \033]52;c;aGk=\007 end\n'
printf 'osc8 \033]8;;http://evil.example/\033\\link\033]8;;\033\\ end\n'
printf 'clear \033[2JMARKCLEAR end\n'
printf 'carriage abc\rXYZFORGED end\n'
printf 'c1 \302\234MARKC1 end\n'
printf 'lone \234 byte end\n'
printf 'invalid \377\376 utf8 end\n'
head -c 1048576 /dev/zero | tr '\0' 'A'; printf '\n'
printf 'after the long line\n'
exec sleep 100000
