rule r {
  strings:
    $a = /https?:\/\/[a-z0-9.\-]+\.(com|org)(\/[^ ]*)?/ nocase wide ascii fullword
    $b = /[a-z]+[0-9]{2,4}?x/is private
    $c = /^MZ.{0,64}PE\x00\x00|\bEND$|a{,3}[\w\s\d\W\S\D]/
    $d = /(ab|cd(ef|gh)+)*?ij{1}/
  condition:
    any of them and "x" matches /[^]a-c]+/i and #a > 2 and !b[1] < 9
}
